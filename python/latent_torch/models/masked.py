"""Models/Masked/MaskedAutoencoder.cs (He et al. 2022), which follows MAE's models_mae.py with camelCase names.

Patches of p×p embedded with fixed sine-cosine positions; per example a random N(1 − r) of them stay
visible (the first of argsort(rand)); a ViT encodes those; a light decoder with a shared mask token
predicts every patch; the loss is the squared error on the hidden patches only, each target patch
normalised by its own mean and variance under norm_pix_loss (term "recon").

encode: mean of the encoded patches of the whole image (no class token). decode: the code at every
decoder position, clamped to [0, 1]. reconstruct: the fixed-seed mask (Generator seeded 0x3AE,
argsort of torch.rand), visible patches copied, hidden ones predicted."""
import torch
from torch import nn

from ..layers import (LAYER_NORM_EPS, PatchEmbedding, apply_blocks, initialise_like_mae, patchify, sincos_positions,
                      transformer_blocks, unpatchify)
from .autoencoder import Autoencoder, LossTerms


class MaskedAutoencoder(Autoencoder):

    fixed_buffers = ("posEmbed", "decoderPosEmbed")
    RECONSTRUCT_SEED = 0x3AE

    def __init__(self, options, shape):
        super().__init__()
        self.shape, self.norm_pix_loss = shape, options["norm_pix_loss"]
        self.patch_size, width, decoder_width = options["patch_size"], options["width"], options["decoder_width"]
        rows, columns = shape["height"] // self.patch_size, shape["width"] // self.patch_size
        self.patches = rows * columns
        self.visible = int(self.patches * (1 - options["mask_ratio"]))  # MaeOptions.VisiblePatches
        self.offset = 1 if options["cls_token"] else 0
        self.patchEmbed = PatchEmbedding(shape["channels"], self.patch_size, width)
        self.clsToken = nn.Parameter(torch.randn(1, 1, width) * 0.02) if options["cls_token"] else None
        self.register_buffer("posEmbed", sincos_positions(rows, columns, width, options["cls_token"]))
        self.blocks = transformer_blocks(options["depth"], width, options["attention_heads"])
        self.norm = nn.LayerNorm(width, eps=LAYER_NORM_EPS)
        self.decoderEmbed = nn.Linear(width, decoder_width)
        self.maskToken = nn.Parameter(torch.randn(1, 1, decoder_width) * 0.02)
        self.register_buffer("decoderPosEmbed", sincos_positions(rows, columns, decoder_width, options["cls_token"]))
        self.decoderBlocks = transformer_blocks(options["decoder_depth"], decoder_width, options["attention_heads"])
        self.decoderNorm = nn.LayerNorm(decoder_width, eps=LAYER_NORM_EPS)
        self.decoderPred = nn.Linear(decoder_width, self.patch_size ** 2 * shape["channels"])
        for module in (self.blocks, self.decoderBlocks, self.decoderEmbed, self.decoderPred):
            initialise_like_mae(module)

    def place_order(self, batch):
        """Every patch visible, in place order: [B, N]."""
        return torch.arange(self.patches).expand(batch, self.patches)

    def random_order(self, batch, generator):
        """Per example the patch indices in a random order; the first `visible` stay visible: [B, N]."""
        return torch.rand(batch, self.patches, generator=generator).argsort(1)

    def hidden_patches(self, order, visible):
        """1 for the patches beyond the first `visible` of order, in place order: [B, N]."""
        by_rank = torch.ones(order.shape)
        by_rank[:, :visible] = 0
        return by_rank.gather(1, order.argsort(1))

    def encode_visible(self, x, order, visible):
        """The first `visible` patches of order → [B, (1+) visible, width] after the final norm."""
        tokens = self.patchEmbed(x) + self.posEmbed[:, self.offset:self.offset + self.patches]       # [B, N, E]
        keep = order[:, :visible]                                                                     # [B, n]
        tokens = tokens.gather(1, keep.unsqueeze(-1).expand(-1, -1, tokens.shape[2]))                 # [B, n, E]
        if self.clsToken is not None:
            cls = (self.clsToken + self.posEmbed[:, :1]).expand(x.shape[0], -1, -1)
            tokens = torch.cat([cls, tokens], 1)                                                     # [B, 1 + n, E]
        return self.norm(apply_blocks(self.blocks, tokens))

    def decode_tokens(self, latent, order):
        """Encoded visible tokens [B, (1+) n, E] → predicted patches [B, N, p·p·C] in place order."""
        embedded = self.decoderEmbed(latent)                                                          # [B, (1+) n, Ed]
        batch, visible = embedded.shape[0], embedded.shape[1] - self.offset
        patches = torch.cat([embedded[:, self.offset:], self.maskToken.expand(batch, self.patches - visible, -1)], 1)
        patches = patches.gather(1, order.argsort(1).unsqueeze(-1).expand(-1, -1, patches.shape[2]))  # place order
        sequence = patches if self.clsToken is None else torch.cat([embedded[:, :1], patches], 1)
        sequence = self.decoderNorm(apply_blocks(self.decoderBlocks, sequence + self.decoderPosEmbed))
        return self.decoderPred(sequence)[:, self.offset:]

    def to_image(self, predicted, visible_pixels=None, hidden_pixels=None):
        """Predicted patches → image; under norm_pix_loss mapped back with the visible pixels' mean and spread."""
        image = unpatchify(predicted, self.patch_size, self.shape)
        if not self.norm_pix_loss:
            return image
        if visible_pixels is None or hidden_pixels is None:
            return image * 0.25 + 0.5
        seen = hidden_pixels.logical_not().float()
        count = seen.sum([1, 2, 3], keepdim=True).clamp_min(1)
        mean = visible_pixels.sum([1, 2, 3], keepdim=True) / count
        spread = ((visible_pixels - mean).square() * seen).sum([1, 2, 3], keepdim=True) / count
        return image * (spread + 1e-6).sqrt() + mean

    def fill(self, x, order, visible):
        """Masks by order, predicts, and pastes the prediction (clamped to [0, 1]) into the hidden patches."""
        predicted = self.decode_tokens(self.encode_visible(x, order, visible), order)
        hidden = self.hidden_patches(order, visible)                                                  # [B, N]
        values = self.patch_size ** 2 * self.shape["channels"]
        hidden_pixels = unpatchify(hidden.unsqueeze(-1).expand(-1, -1, values), self.patch_size, self.shape).gt(0.5)
        visible_pixels = torch.where(hidden_pixels, torch.zeros_like(x), x) if self.norm_pix_loss else None
        image = self.to_image(predicted, visible_pixels, hidden_pixels).clamp(0, 1)
        return torch.where(hidden_pixels, image, x)

    def encode(self, x):
        latent = self.encode_visible(x, self.place_order(x.shape[0]), self.patches)
        return latent[:, self.offset:self.offset + self.patches].mean(1)

    def decode(self, z):
        # [B, E] -> [B, N(+1), E]: the pooled code stands in for every encoded token
        latent = z.unsqueeze(1).expand(z.shape[0], self.offset + self.patches, z.shape[1])
        return self.to_image(self.decode_tokens(latent, self.place_order(z.shape[0]))).clamp(0, 1)

    def reconstruct(self, x):
        # PyTorch's CPU generator (mt19937) and torch.rand give libtorch's stream for the same seed, so the
        # mask is Latent's; should a version ever change that, the reconstruct check fails by whole pixels.
        generator = torch.Generator().manual_seed(self.RECONSTRUCT_SEED)
        return self.fill(x, self.random_order(x.shape[0], generator), self.visible)


    @staticmethod
    def normalise_patches(patches):
        """MAE's norm_pix_loss target: every patch minus its mean, over its standard deviation (ε = 1e-6 on the variance)."""
        mean = patches.mean(-1, keepdim=True)
        variance = patches.var(-1, unbiased=True, keepdim=True)
        return (patches - mean) / (variance + 1e-6).sqrt()

    def loss(self, x, context):
        order = context.rand(self.patches).argsort(1)                                      # [b, N], drawn for the global batch
        predicted = self.decode_tokens(self.encode_visible(x, order, self.visible), order)   # [b, N, p·p·C]
        target = patchify(x, self.patch_size)
        if self.norm_pix_loss:
            target = self.normalise_patches(target)
        per_patch = (predicted - target).square().mean(-1)                                 # [b, N]
        hidden = self.hidden_patches(order, self.visible)                                  # [b, N], 1 = hidden
        # Σ m·ℓ / Σ m over the batch, with Σ m = (N − visible) for every example
        loss = context.mean((per_patch * hidden).sum(1) / (self.patches - self.visible))
        return LossTerms(loss, [("recon", loss)])
