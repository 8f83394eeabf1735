"""Masked autoencoder (Latent: --model mae --arch vit; He et al. 2022, written after facebookresearch/mae's
models_mae.py): 4×4 patches, fixed 2-D sine-cosine positions, a class token, a ViT encoder (width 128,
depth 4, 4 heads, MLP ratio 4, pre-norm) over the visible quarter of the patches, a decoder (width 64,
depth 2) that sees mask tokens at the hidden positions and predicts every patch's pixels; squared error
on the hidden patches only. Xavier-uniform linear layers, N(0, 0.02²) class and mask tokens, as MAE.
Headline: the linear probe on the mean of the encoded patches of the whole image (after the final
LayerNorm), the feature Latent's Encode returns; also the error on hidden patches (masked_mse)."""
import math

import numpy as np
import torch
import torch.nn as nn

import common


def sincos_positions(rows, columns, width, cls_token):
    """MAE's get_2d_sincos_pos_embed: half the channels encode the column, half the row, sin then cos."""
    def one_axis(half, positions):
        omega = 1.0 / 10000 ** (np.arange(half // 2, dtype=np.float64) / (half / 2.0))
        angles = np.outer(positions.reshape(-1), omega)
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    grid = np.meshgrid(np.arange(columns, dtype=np.float64), np.arange(rows, dtype=np.float64))
    table = np.concatenate([one_axis(width // 2, grid[0]), one_axis(width // 2, grid[1])], axis=1)
    if cls_token:
        table = np.concatenate([np.zeros([1, width]), table], axis=0)
    return torch.from_numpy(table).float().unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, n, e = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, e // self.heads).permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(e // self.heads), dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(b, n, e))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(width, eps=1e-6), Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def patchify(images, p):
    b, c, h, w = images.shape
    return images.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)


class Mae(nn.Module):
    def __init__(self, shape, patch=4, width=128, depth=4, heads=4, decoder_width=64, decoder_depth=2):
        super().__init__()
        channels, height, columns = shape
        self.patch, self.patches = patch, (height // patch) * (columns // patch)
        self.patch_embed = nn.Conv2d(channels, width, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.register_buffer("pos_embed", sincos_positions(height // patch, columns // patch, width, True))
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width, eps=1e-6)
        self.decoder_embed = nn.Linear(width, decoder_width)
        self.mask_token = nn.Parameter(torch.randn(1, 1, decoder_width) * 0.02)
        self.register_buffer("decoder_pos_embed", sincos_positions(height // patch, columns // patch, decoder_width, True))
        self.decoder_blocks = nn.ModuleList(Block(decoder_width, heads) for _ in range(decoder_depth))
        self.decoder_norm = nn.LayerNorm(decoder_width, eps=1e-6)
        self.decoder_pred = nn.Linear(decoder_width, patch * patch * channels)
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    nn.init.xavier_uniform_(module.weight)
                    nn.init.zeros_(module.bias)
            nn.init.xavier_uniform_(self.patch_embed.weight.view(width, -1))
            nn.init.zeros_(self.patch_embed.bias)

    def encode_visible(self, x, order, visible):
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:]          # [B, N, E]
        keep = order[:, :visible]
        tokens = tokens.gather(1, keep.unsqueeze(-1).expand(-1, -1, tokens.shape[2]))            # [B, n, E]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        tokens = torch.cat([cls, tokens], 1)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)

    def decode(self, latent, order):
        embedded = self.decoder_embed(latent)
        b, visible = embedded.shape[0], embedded.shape[1] - 1
        patches = torch.cat([embedded[:, 1:], self.mask_token.expand(b, self.patches - visible, -1)], 1)
        patches = patches.gather(1, order.argsort(1).unsqueeze(-1).expand(-1, -1, patches.shape[2]))  # back to place order
        sequence = torch.cat([embedded[:, :1], patches], 1) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            sequence = block(sequence)
        return self.decoder_pred(self.decoder_norm(sequence))[:, 1:]                             # [B, N, p·p·C]

    def loss(self, x, mask_ratio=0.75, generator=None):
        visible = int(self.patches * (1 - mask_ratio))
        order = torch.rand(x.shape[0], self.patches, generator=generator).argsort(1)
        predicted = self.decode(self.encode_visible(x, order, visible), order)
        per_patch = (predicted - patchify(x, self.patch)).square().mean(-1)                      # [B, N]
        hidden = torch.ones_like(per_patch)
        hidden[:, :visible] = 0
        hidden = hidden.gather(1, order.argsort(1))                                              # rank → place
        return (per_patch * hidden).sum() / hidden.sum(), per_patch, hidden

    def features(self, x):
        """Mean of the encoded patches of the whole image (no class token)."""
        order = torch.arange(self.patches).expand(x.shape[0], -1)
        return self.encode_visible(x, order, self.patches)[:, 1:].mean(1)


def run(args, data):
    train, train_labels, test, test_labels = data
    model = Mae(tuple(train.shape[1:]), decoder_width=args.decoder_width, decoder_depth=args.decoder_depth)
    seconds = common.fit(model, lambda x: model.loss(x, args.mask)[0], train, args.epochs, args.lr, args.batch_size, args.log)
    model.eval()
    generator = torch.Generator().manual_seed(0x5EED)
    error = count = 0.0
    with torch.no_grad():
        for start in range(0, len(test), 500):
            _, per_patch, hidden = model.loss(test[start:start + 500], args.mask, generator)
            error += (per_patch * hidden).sum().item()
            count += hidden.sum().item()
    figures = {"train_seconds": round(seconds, 1), "masked_mse": error / count}
    figures["linear_probe_accuracy"] = common.probe_accuracy(common.encode_all(model.features, train), train_labels,
                                                              common.encode_all(model.features, test), test_labels)
    return figures
