"""Models/Denoising (Vincent et al. 2008; 2010): corrupt x to x̃ ~ q(x̃ | x), encode and decode x̃, and
minimise the reconstruction loss of the CLEAN x, over all elements or only the corrupted ones (term "recon").

Images: mlp/conv or the patch transformer, sigmoid output, squared error; masked pixels take mask_value
or a learned value per pixel (maskEmbedding). Table rows: standardised by running statistics
(standardizer), mlp, squared error in standardised units, a learned [MASK] value per feature. Tokens:
TokenMlp* or the token transformer, cross-entropy; masked tokens take the id [MASK].
Corruption.cs: mask:P and salt-pepper:P draw rand(x.shape) < P; gaussian:σ adds σ·randn(x.shape); the
salt-pepper values are rand < 0.5 (pixels) or randint(2, V) (tokens) — drawn here for the global batch."""
import torch
import torch.nn.functional as F
from torch import nn

from ..layers import (LAYER_NORM_EPS, PatchEmbedding, apply_blocks, decoder, dimensions, encoder, initialise_like_mae, mlp,
                      transformer_blocks, unpatchify)
from .autoencoder import Autoencoder, LossTerms, per_example_mean

VOCABULARY_RESERVED = 2  # Data/Vocabulary.cs: ids 0 [UNK] and 1 [MASK]
VOCABULARY_MASK = 1


class Standardizer(nn.Module):
    """Models/Denoising/DenoisingNetworks.cs Standardizer: (x − μ) / σ with running buffers mean, variance, batches."""

    def __init__(self, features):
        super().__init__()
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("variance", torch.ones(features))
        self.register_buffer("batches", torch.zeros(1))

    def scale(self):
        # σ, floored so that a constant column maps to 0 instead of dividing by zero
        return self.variance.clamp_min(1e-12).sqrt().clamp_min(1e-6)

    def standardize(self, x):
        return (x - self.mean) / self.scale()

    def restore(self, standardized):
        return standardized * self.scale() + self.mean

    def update(self, x):
        """Standardizer.Update: folds one training batch [B, F] (the global one) into the running averages."""
        with torch.no_grad():
            self.batches.add_(1)
            weight = self.batches.reciprocal()
            self.mean.add_((x.mean(0) - self.mean) * weight)
            spread = x.var(0, unbiased=False) if x.shape[0] > 1 else torch.zeros_like(self.variance)
            self.variance.add_((spread - self.variance) * weight)


class TokenMlpEncoder(nn.Module):
    """Models/Denoising/DenoisingNetworks.cs TokenMlpEncoder: ids [B, T] → embedding + positions → flatten → MLP → [B, D]."""

    def __init__(self, shape, width, hidden, outputs):
        super().__init__()
        self.embedding = nn.Embedding(shape["vocabulary_size"], width)
        self.positions = nn.Parameter(torch.randn(shape["width"], width) * 0.02)
        self.layers = mlp([shape["width"] * width, *hidden, outputs])

    def forward(self, ids):
        # [B, T] -> [B, T, W] -> [B, T·W] -> [B, D]
        return self.layers((self.embedding(ids) + self.positions).flatten(1))


class TokenMlpDecoder(nn.Module):
    """Models/Denoising/DenoisingNetworks.cs TokenMlpDecoder: [B, D] → MLP → ReLU → [B, T, W] → head → logits [B, T, V]."""

    def __init__(self, inputs, hidden, shape, width):
        super().__init__()
        self.length, self.width = shape["width"], width
        self.layers = mlp([inputs, *reversed(hidden), shape["width"] * width])
        self.head = nn.Linear(width, shape["vocabulary_size"])

    def forward(self, code):
        # [B, D] -> [B, T·W] -> [B, T, W] -> [B, T, V]
        return self.head(torch.relu(self.layers(code)).reshape(code.shape[0], self.length, self.width))


def sequence_positions(shape, options):
    """SequenceTransformerEncoder.Positions: N, tokens in the window or patches in the image."""
    if shape["kind"] == "tokens":
        return shape["width"]
    return (shape["height"] // options["patch_size"]) * (shape["width"] // options["patch_size"])


class SequenceTransformerEncoder(nn.Module):
    """Models/Denoising/DenoisingNetworks.cs SequenceTransformerEncoder: embed (tokens or patches) + learned
    positions, pre-norm blocks, a final LayerNorm; the code is every position's state, flattened to [B, N·W]."""

    def __init__(self, shape, options):
        super().__init__()
        width = options["width"]
        self.embed = (nn.Embedding(shape["vocabulary_size"], width) if shape["kind"] == "tokens"
                      else PatchEmbedding(shape["channels"], options["patch_size"], width))
        self.positions = nn.Parameter(torch.randn(1, sequence_positions(shape, options), width) * 0.02)
        self.blocks = transformer_blocks(options["depth"], width, options["attention_heads"])
        self.norm = nn.LayerNorm(width, eps=LAYER_NORM_EPS)
        initialise_like_mae(self.blocks)
        if isinstance(self.embed, nn.Embedding):  # token embeddings on the scale of the positions, as BERT
            nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, x):
        # tokens [B, T] or images [B, C, H, W] -> [B, N, W] -> [B, N·W]
        return self.norm(apply_blocks(self.blocks, self.embed(x) + self.positions)).flatten(1)


class SequenceTransformerDecoder(nn.Module):
    """Models/Denoising/DenoisingNetworks.cs SequenceTransformerDecoder: [B, N·W] → per position a linear head
    to vocabulary logits [B, T, V], or to patch pixels reassembled into [B, C, H, W]."""

    def __init__(self, shape, options):
        super().__init__()
        self.shape, self.patch_size = shape, options["patch_size"]
        self.positions, self.width = sequence_positions(shape, options), options["width"]
        outputs = shape["vocabulary_size"] if shape["kind"] == "tokens" else self.patch_size ** 2 * shape["channels"]
        self.head = nn.Linear(self.width, outputs)

    def forward(self, code):
        # [B, N·W] -> [B, N, W] -> [B, N, V] (tokens) or [B, N, p·p·C] -> [B, C, H, W] (images)
        output = self.head(code.reshape(code.shape[0], self.positions, self.width))
        return output if self.shape["kind"] == "tokens" else unpatchify(output, self.patch_size, self.shape)


def parse_noise(spec):
    """NoiseSpec.Parse: (kind, level) of mask:P, gaussian:SIGMA or salt-pepper:P."""
    kind, _, level = spec.partition(":")
    kind = kind.strip().lower()
    kind = "salt-pepper" if kind in ("saltpepper", "salt-and-pepper") else kind
    return kind, float(level)


class DenoisingAutoencoder(Autoencoder):
    """The networks of a DAE and its loss. maskEmbedding (the learned [MASK] value) exists for mask noise on
    tables, or on images with learn_mask_value; it plays no part in encode and reconstruct."""

    def __init__(self, options, shape):
        super().__init__()
        self.options, self.shape, self.kind = options, shape, shape["kind"]
        if options["arch"] == "transformer":
            self.encoder = SequenceTransformerEncoder(shape, options)
            self.decoder = SequenceTransformerDecoder(shape, options)
        elif self.kind == "tokens":
            self.encoder = TokenMlpEncoder(shape, options["width"], options["hidden"], options["latent_dim"])
            self.decoder = TokenMlpDecoder(options["latent_dim"], options["hidden"], shape, options["width"])
        else:
            self.encoder = encoder(options, shape, options["latent_dim"])
            self.decoder = decoder(options, shape, options["latent_dim"])
        self.noise_kind, self.noise_level = parse_noise(options["noise"])
        if self.noise_kind == "mask" and (self.kind == "table" or self.kind == "image" and options["learn_mask_value"]):
            self.maskEmbedding = nn.Parameter(torch.full(dimensions(shape), 0.5 if self.kind == "image" else 0.0))
        else:
            self.maskEmbedding = None
        self.standardizer = Standardizer(shape["width"]) if self.kind == "table" else None

    def to_model_units(self, x):
        return self.standardizer.standardize(x) if self.standardizer is not None else x

    def to_data_units(self, output):
        if self.kind == "image":
            return torch.sigmoid(output)
        return self.standardizer.restore(output) if self.kind == "table" else output.argmax(-1)

    def encode(self, x):
        return self.encoder(self.to_model_units(x))

    def decode(self, z):
        return self.to_data_units(self.decoder(z))

    def mask_fill(self, like):
        if self.kind == "tokens":
            return None
        return self.maskEmbedding if self.maskEmbedding is not None else torch.full([1], float(self.options["mask_value"]), dtype=like.dtype)

    def corrupt(self, x, fill, context):
        """Corruption.Apply with the global batch's draws: (x̃, positions) with positions bool, true where corrupted."""
        per_example = tuple(x.shape[1:])
        if self.noise_kind == "gaussian":
            return x + self.noise_level * context.randn(*per_example), torch.ones(x.shape, dtype=torch.bool)
        positions = context.rand(*per_example).lt(self.noise_level)
        if self.noise_kind == "mask":
            masked = x.masked_fill(positions, VOCABULARY_MASK) if self.kind == "tokens" else torch.where(positions, fill, x)
            return masked, positions
        if self.kind == "tokens":  # a random real token, never [UNK] or [MASK]
            random = context.randint(VOCABULARY_RESERVED, self.shape["vocabulary_size"], *per_example, dtype=torch.int64)
            return torch.where(positions, random, x), positions
        extreme = context.rand(*per_example).lt(0.5).to(x.dtype)         # 0 or 1 with equal probability
        return torch.where(positions, extreme, x), positions

    def element_loss(self, output, target):
        if self.kind == "image":
            return (torch.sigmoid(output) - target).square()
        if self.kind == "table":
            return (output - target).square()
        return F.cross_entropy(output.permute(0, 2, 1), target, reduction="none")  # logits [B, T, V] -> [B, V, T]; -> [B, T]

    def loss(self, x, context):
        if self.standardizer is not None and self.training:
            self.standardizer.update(context.gather(x))
        target = self.to_model_units(x)
        corrupted, positions = self.corrupt(target, self.mask_fill(target), context)
        error = self.element_loss(self.decoder(self.encoder(corrupted)), target)
        if self.options["loss_on"] == "all":
            loss = context.mean(per_example_mean(error))
        else:  # Σ m·ℓ / Σ m over the whole global batch
            weights = positions.to(error.dtype)
            counted = context.total(weights.sum()).clamp_min(1)
            loss = (error * weights).sum() * context.shard.world / counted
        return LossTerms(loss, [("recon", loss)])
