"""Shared building blocks (src/Latent/Nn): MLPs, the stride-2 conv stacks, the transformer blocks laid
out as timm's ViT that MAE uses, patches and sine-cosine positions. Attribute names are the C# field
names, so that state-dict keys agree with Latent's."""
import math

import numpy as np
import torch
from torch import nn


def mlp(sizes):
    """Linear → ReLU → … → Linear, indexed like nn.Sequential (Nn/Mlp.cs)."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class MlpEncoder(nn.Module):
    def __init__(self, inputs, hidden, outputs):
        super().__init__()
        self.layers = mlp([inputs, *hidden, outputs])

    def forward(self, x):
        return self.layers(x.flatten(1))


class MlpDecoder(nn.Module):
    def __init__(self, inputs, hidden, dims):
        super().__init__()
        self.dims = dims
        self.layers = mlp([inputs, *reversed(hidden), math.prod(dims)])

    def forward(self, z):
        return self.layers(z).reshape(z.shape[0], *self.dims)


def conv_down(in_channels, channels):
    layers, current = [], in_channels
    for count in channels:
        layers += [nn.Conv2d(current, count, 4, 2, 1), nn.ReLU()]
        current = count
    return nn.Sequential(*layers)


def conv_up(channels, out_channels):
    widths = list(reversed(channels)) + [out_channels]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.ConvTranspose2d(widths[i], widths[i + 1], 4, 2, 1))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ConvPadding:
    """Nn/ConvPadding.cs: sides padded with zeros up to multiples of 2**stages, as evenly as possible (the odd
    row below, the odd column right); the decoder's output cropped back."""

    def __init__(self, shape, stages):
        multiple = 2 ** stages
        self.height, self.width = shape["height"], shape["width"]
        padded_height, padded_width = -(-self.height // multiple) * multiple, -(-self.width // multiple) * multiple
        self.top, self.left = (padded_height - self.height) // 2, (padded_width - self.width) // 2
        self.sides = (self.left, padded_width - self.width - self.left, self.top, padded_height - self.height - self.top)
        self.grid = (padded_height // multiple, padded_width // multiple)

    def pad(self, x):
        return torch.nn.functional.pad(x, self.sides) if any(self.sides) else x

    def crop(self, y):
        return y[:, :, self.top:self.top + self.height, self.left:self.left + self.width]


class ConvEncoder(nn.Module):
    def __init__(self, shape, channels, outputs):
        super().__init__()
        self.padding = ConvPadding(shape, len(channels))
        self.features = conv_down(shape["channels"], channels)
        self.head = nn.Linear(channels[-1] * math.prod(self.padding.grid), outputs)

    def forward(self, x):
        return self.head(self.features(self.padding.pad(x)).flatten(1))


class ConvDecoder(nn.Module):
    def __init__(self, inputs, channels, shape):
        super().__init__()
        self.padding = ConvPadding(shape, len(channels))
        self.grid = (channels[-1], *self.padding.grid)
        self.head = nn.Linear(inputs, math.prod(self.grid))
        self.features = conv_up(channels, shape["channels"])

    def forward(self, z):
        return self.padding.crop(self.features(torch.relu(self.head(z)).reshape(z.shape[0], *self.grid)))


def dimensions(shape):
    return [shape["channels"], shape["height"], shape["width"]] if shape["kind"] == "image" else [shape["width"]]


def encoder(options, shape, outputs):
    if options["arch"] == "mlp":
        return MlpEncoder(math.prod(dimensions(shape)), options["hidden"], outputs)
    return ConvEncoder(shape, options["channels"], outputs)


def decoder(options, shape, inputs):
    if options["arch"] == "mlp":
        return MlpDecoder(inputs, options["hidden"], dimensions(shape))
    return ConvDecoder(inputs, options["channels"], shape)


# ---- transformer blocks (src/Latent/Nn/Transformer.cs), laid out as timm's ViT that MAE uses ----

LAYER_NORM_EPS = 1e-6  # nn.LayerNorm(width, eps: 1e-6) everywhere in Transformer.cs, as timm's ViT


class SelfAttention(nn.Module):
    """Nn/Transformer.cs SelfAttention: qkv E → 3E, softmax(QKᵀ/√d)V per head, proj E → E; bidirectional or causal.

    Written out by hand: PyTorch 1.13 has no scaled_dot_product_attention (libtorch's fused kernel
    computes the same softmax(QKᵀ/√d)V)."""

    def __init__(self, width, heads, causal=False):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        batch, length, width = x.shape
        # [B, N, 3E] -> [B, N, 3, H, E/H] -> [3, B, H, N, E/H]
        query, key, value = self.qkv(x).reshape(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        scores = query @ key.transpose(-2, -1) / math.sqrt(width // self.heads)  # [B, H, N, N]
        if self.causal:  # each position sees itself and earlier ones: the future is masked to −∞
            scores = scores.masked_fill(torch.ones(length, length, dtype=torch.bool).triu(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        # [B, H, N, E/H] -> [B, N, H, E/H] -> [B, N, E]
        return self.proj((weights @ value).transpose(1, 2).reshape(batch, length, width))


class FeedForward(nn.Module):
    """Nn/Transformer.cs FeedForward: fc1 E → rE, exact (erf) GELU as TorchSharp's nn.GELU(), fc2 rE → E."""

    def __init__(self, width, hidden):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock(nn.Module):
    """Nn/Transformer.cs TransformerBlock: pre-norm, x ← x + attn(norm1(x)); x ← x + mlp(norm2(x))."""

    def __init__(self, width, heads, mlp_ratio=4, causal=False):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=LAYER_NORM_EPS)
        self.attn = SelfAttention(width, heads, causal)
        self.norm2 = nn.LayerNorm(width, eps=LAYER_NORM_EPS)
        self.mlp = FeedForward(width, mlp_ratio * width)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def transformer_blocks(depth, width, heads, causal=False):
    """Transformers.Blocks: an nn.ModuleList (keys 0.norm1.weight, …), applied in turn (Transformers.Apply)."""
    return nn.ModuleList(TransformerBlock(width, heads, causal=causal) for _ in range(depth))


def apply_blocks(blocks, x):
    for block in blocks:
        x = block(x)
    return x


def initialise_like_mae(module):
    """Transformers.Initialise (MAE's _init_weights): Xavier-uniform linear weights, zero biases, LayerNorm 1 and 0."""
    with torch.no_grad():
        for child in module.modules():
            if isinstance(child, nn.Linear):
                nn.init.xavier_uniform_(child.weight)
                if child.bias is not None:
                    nn.init.zeros_(child.bias)
            elif isinstance(child, nn.LayerNorm):
                nn.init.ones_(child.weight)
                nn.init.zeros_(child.bias)


def sincos_positions(rows, columns, width, leading_zero_row):
    """Transformers.SinCosPositions, written as MAE's get_2d_sincos_pos_embed: [1, (1+) rows·columns, width].

    The first half of the channels encodes grid[0] of meshgrid(w, h), the column; the second half the row;
    each half is sin then cos at frequencies 1/10000^(i/(width/4))."""
    def one_axis(half, positions):
        omega = 1.0 / 10000 ** (np.arange(half // 2, dtype=np.float64) / (half / 2.0))
        angles = np.einsum("m,d->md", positions.reshape(-1), omega)  # [rows·columns, half/2]
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)

    grid = np.stack(np.meshgrid(np.arange(columns, dtype=np.float64), np.arange(rows, dtype=np.float64)), axis=0)
    table = np.concatenate([one_axis(width // 2, grid[0]), one_axis(width // 2, grid[1])], axis=1)
    if leading_zero_row:
        table = np.concatenate([np.zeros([1, width]), table], axis=0)
    return torch.from_numpy(table).float().unsqueeze(0)


def patchify(images, patch_size):
    """Patches.Patchify: [B, C, H, W] → [B, h·w, p·p·C], pixels (row, column, channel) inside a patch."""
    batch, channels, height, width = images.shape
    rows, columns = height // patch_size, width // patch_size
    # [B, C, h, p, w, p] -> [B, h, w, p, p, C] -> [B, h·w, p·p·C]
    return (images.reshape(batch, channels, rows, patch_size, columns, patch_size).permute(0, 2, 4, 3, 5, 1)
            .reshape(batch, rows * columns, patch_size * patch_size * channels))


def unpatchify(patches, patch_size, shape):
    """Patches.Unpatchify: [B, h·w, p·p·C] → [B, C, H, W]."""
    rows, columns = shape["height"] // patch_size, shape["width"] // patch_size
    # [B, h·w, p·p·C] -> [B, h, w, p, p, C] -> [B, C, h, p, w, p] -> [B, C, H, W]
    return (patches.reshape(patches.shape[0], rows, columns, patch_size, patch_size, shape["channels"]).permute(0, 5, 1, 3, 2, 4)
            .reshape(patches.shape[0], shape["channels"], shape["height"], shape["width"]))


class PatchEmbedding(nn.Module):
    """Nn/Transformer.cs PatchEmbedding: a p×p convolution with stride p (proj), [B, C, H, W] → [B, h·w, E]."""

    def __init__(self, channels, patch_size, width):
        super().__init__()
        self.proj = nn.Conv2d(channels, width, kernel_size=patch_size, stride=patch_size)
        with torch.no_grad():  # like a linear layer, as MAE: Xavier-uniform on the [E, C·p·p] view
            nn.init.xavier_uniform_(self.proj.weight.view(width, -1))
            nn.init.zeros_(self.proj.bias)

    def forward(self, images):
        # [B, E, h, w] -> [B, E, h·w] -> [B, h·w, E]
        return self.proj(images).flatten(2).transpose(1, 2)
