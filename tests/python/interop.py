#!/usr/bin/python3
"""Rebuilds a Latent run's network in PyTorch from its manifest and checks both directions.

    /usr/bin/python3 tests/python/interop.py RUN_DIR

Needs only Debian's python3-torch and numpy. RUN_DIR holds manifest.json, model.safetensors and
interop.safetensors (written by Latent: `input` and Latent's outputs `encode` and `reconstruct`).
The script
  1. builds the family's modules with the same names, loads model.safetensors and checks that
     PyTorch reproduces Latent's outputs on the same input within 1e-5;
  2. re-initialises the same modules with PyTorch's own initialisation, and writes them in the
     same layout to pytorch.safetensors together with PyTorch's outputs (pytorch_outputs.safetensors),
     for Latent to load and reproduce (reinitialise: constants perturbed, so no mix-up of names passes).
Buffers that a model computes from its options (MAE's sine-cosine positions) are checked against
the script's own formula instead of being re-drawn.

A family is a subclass of Autoencoder (encode, decode, reconstruct) registered in FAMILIES under its
catalogue name; its attribute names are the C# field names, so that the state-dict keys agree.
Exit code 0 when the outputs agree, 1 when they do not, 2 on bad usage.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
from torch import nn

TOLERANCE = 1e-5  # relative to the outputs' magnitude when it exceeds 1 (float32 sums of many terms)
DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def load_safetensors(path):
    """The safetensors format read with numpy: u64 header length, JSON header, raw little-endian data."""
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
        data = file.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def save_safetensors(path, tensors):
    names = sorted(tensors)
    header, offset, blobs = {}, 0, []
    for name in names:
        array = tensors[name].detach().cpu().contiguous().numpy()
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64", np.dtype(np.float64): "F64"}[array.dtype]
        blob = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)))
        file.write(text)
        for blob in blobs:
            file.write(blob)


# ---- shared building blocks (src/Latent/Nn) ----

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


class ConvEncoder(nn.Module):
    def __init__(self, shape, channels, outputs):
        super().__init__()
        side = 2 ** len(channels)
        self.features = conv_down(shape["channels"], channels)
        self.head = nn.Linear(channels[-1] * (shape["height"] // side) * (shape["width"] // side), outputs)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


class ConvDecoder(nn.Module):
    def __init__(self, inputs, channels, shape):
        super().__init__()
        side = 2 ** len(channels)
        self.grid = (channels[-1], shape["height"] // side, shape["width"] // side)
        self.head = nn.Linear(inputs, math.prod(self.grid))
        self.features = conv_up(channels, shape["channels"])

    def forward(self, z):
        return self.features(torch.relu(self.head(z)).reshape(z.shape[0], *self.grid))


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


# ---- families (src/Latent/Models) ----

class Autoencoder(nn.Module):
    """Models/Autoencoder.cs: encode x → z, decode z → x̂ in data units, reconstruct x → x̂ (through z by default)."""

    fixed_buffers = ()  # buffers computed from the options (not learned, not drawn): checked, never re-drawn

    def encode(self, x):
        raise NotImplementedError

    def decode(self, z):
        raise NotImplementedError

    def reconstruct(self, x):
        return self.decode(self.encode(x))


class PlainAutoencoder(Autoencoder):
    """Models/Plain: z = encoder(x); x̂ = decoder(z), through a sigmoid for [0, 1] data."""

    def __init__(self, options, shape):
        super().__init__()
        self.unit_range = shape["kind"] == "image"
        self.encoder = encoder(options, shape, options["latent_dim"])
        self.decoder = decoder(options, shape, options["latent_dim"])

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        output = self.decoder(z)
        return torch.sigmoid(output) if self.unit_range else output


class LinearAutoencoder(Autoencoder):
    """Models/Linear: z = U(x − μ), x̂ = Vz + μ (V = Uᵀ when tied), no biases, no sigmoid."""

    def __init__(self, options, shape):
        super().__init__()
        self.dims = dimensions(shape)
        features = math.prod(self.dims)
        self.encoder = nn.Linear(features, options["latent_dim"], bias=False)
        self.decoder = None if options["tied"] else nn.Linear(options["latent_dim"], features, bias=False)
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("mean_count", torch.zeros((), dtype=torch.float64))

    def encode(self, x):
        return self.encoder(x.flatten(1) - self.mean)

    def decode(self, z):
        flat = z @ self.encoder.weight if self.decoder is None else self.decoder(z)
        return (flat + self.mean).reshape(z.shape[0], *self.dims)


class Pca(Autoencoder):
    """Models/Pca: z = (x − μ)Wᵀ (÷ √λ when whitened), x̂ = zW + μ."""

    ZERO_VARIANCE_TOLERANCE = 1e-6

    def __init__(self, options, shape):
        super().__init__()
        self.dims = dimensions(shape)
        features, components = math.prod(self.dims), options["latent_dim"]
        self.whiten = options["whiten"]
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("components", torch.zeros(components, features))
        self.register_buffer("explained_variance", torch.zeros(components, dtype=torch.float64))
        self.register_buffer("explained_variance_ratio", torch.zeros(components))
        self.register_buffer("singular_values", torch.zeros(components, dtype=torch.float64))

    def scale(self):
        variance = self.explained_variance
        resolved = variance > variance[0] * self.ZERO_VARIANCE_TOLERANCE
        return torch.where(resolved, variance.sqrt(), torch.ones_like(variance)).float()

    def encode(self, x):
        z = (x.flatten(1) - self.mean) @ self.components.T
        return z / self.scale() if self.whiten else z

    def decode(self, z):
        scaled = z * self.scale() if self.whiten else z
        return (scaled @ self.components + self.mean).reshape(z.shape[0], *self.dims)


# ---- Models/Denoising ----

VOCABULARY_RESERVED = 2  # Data/Vocabulary.cs: ids 0 [UNK] and 1 [MASK]


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


class DenoisingAutoencoder(Autoencoder):
    """Models/Denoising/DenoisingAutoencoder.cs: the networks of a DAE (the corruption is training only).

    Images: Networks' mlp/conv or the patch transformer, sigmoid output. Table rows: standardised
    (standardizer), mlp, restored output. Tokens: TokenMlp* or the token transformer, argmax output.
    maskEmbedding (the learned [MASK] value) exists for mask noise on tables, or on images with
    learn_mask_value; it plays no part in encode and reconstruct."""

    def __init__(self, options, shape):
        super().__init__()
        self.kind = shape["kind"]
        if options["arch"] == "transformer":
            self.encoder = SequenceTransformerEncoder(shape, options)
            self.decoder = SequenceTransformerDecoder(shape, options)
        elif self.kind == "tokens":
            self.encoder = TokenMlpEncoder(shape, options["width"], options["hidden"], options["latent_dim"])
            self.decoder = TokenMlpDecoder(options["latent_dim"], options["hidden"], shape, options["width"])
        else:
            self.encoder = encoder(options, shape, options["latent_dim"])
            self.decoder = decoder(options, shape, options["latent_dim"])
        masking = options["noise"].split(":")[0].strip().lower() == "mask"
        if masking and (self.kind == "table" or self.kind == "image" and options["learn_mask_value"]):
            self.maskEmbedding = nn.Parameter(torch.full(dimensions(shape), 0.5 if self.kind == "image" else 0.0))
        self.standardizer = Standardizer(shape["width"]) if self.kind == "table" else None

    def encode(self, x):
        return self.encoder(self.standardizer.standardize(x) if self.standardizer is not None else x)

    def decode(self, z):
        output = self.decoder(z)
        if self.kind == "image":
            return torch.sigmoid(output)
        return self.standardizer.restore(output) if self.kind == "table" else output.argmax(-1)


# ---- Models/Masked ----

class MaskedAutoencoder(Autoencoder):
    """Models/Masked/MaskedAutoencoder.cs, which follows MAE's models_mae.py with camelCase names.

    encode: mean of the encoded patches of the whole image (no class token). decode: the code at every
    decoder position, clamped to [0, 1]. reconstruct: the fixed-seed mask (Generator seeded 0x3AE,
    argsort of torch.rand), visible patches copied, hidden ones predicted."""

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


# ---- Models/Variational ----

class VariationalAutoencoder(Autoencoder):
    """Models/Variational/VariationalAutoencoder.cs: the networks of a VAE (the draw z = μ + Σ^½ε is training only).

    The encoder outputs [μ (D) | log-variance (D) | the D(D−1)/2 strictly-lower entries of the Cholesky
    factor L, for a full Σ]. encode: the posterior mean μ. decode: the mean of p(x|z), through a sigmoid
    for [0, 1] data whatever the likelihood. outputLogVariance (one shared log σ², with learn_variance)
    enters only the Gaussian likelihood, so it plays no part in encode and reconstruct."""

    def __init__(self, options, shape):
        super().__init__()
        self.latent_dim, self.full_covariance = options["latent_dim"], options["covariance"] == "full"
        self.unit_range = shape["kind"] == "image"
        dimension = self.latent_dim
        outputs = 2 * dimension + (dimension * (dimension - 1) // 2 if self.full_covariance else 0)
        self.encoder = encoder(options, shape, outputs)
        self.decoder = decoder(options, shape, dimension)
        if options["learn_variance"]:  # VaeOptions.Validate allows it with the gaussian likelihood only
            self.outputLogVariance = nn.Parameter(torch.full([1], math.log(options["variance"])))

    def infer(self, x):
        """q(z|x): μ [B, D], log-variance [B, D] (log Σⱼⱼ, or log Lⱼⱼ² for a full Σ), and L [B, D, D] or None."""
        dimension = self.latent_dim
        outputs = self.encoder(x)
        mean, log_variance = outputs[:, :dimension], outputs[:, dimension:2 * dimension]
        if not self.full_covariance:
            return mean, log_variance, None
        # the strictly-lower entries in row-major order (torch.tril_indices, offset −1), as Infer's index_copy:
        # [B, D(D−1)/2] -> [B, D, D] with zeros on and above the diagonal, plus the positive diagonal exp(½ log Lⱼⱼ²)
        rows, columns = torch.tril_indices(dimension, dimension, offset=-1)
        strictly_lower = outputs.new_zeros(outputs.shape[0], dimension, dimension)
        strictly_lower[:, rows, columns] = outputs[:, 2 * dimension:]
        return mean, log_variance, strictly_lower + torch.diag_embed((0.5 * log_variance).exp())

    def encode(self, x):
        return self.infer(x)[0]

    def decode(self, z):
        output = self.decoder(z)
        return torch.sigmoid(output) if self.unit_range else output


# ---- Models/VectorQuantized ----

def variance_preserving(network):
    """VqNetworks.VariancePreserving: He-normal weights N(0, 2/fan_in) and zero biases for every linear and conv layer."""
    with torch.no_grad():
        for child in network.modules():
            if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(child.weight, mode="fan_in", nonlinearity="relu")
                if child.bias is not None:
                    nn.init.zeros_(child.bias)
    return network


def vq_conv_encoder(shape, channels, latent_dim):
    """VqNetworks.ConvEncoder: [B, C, H, W] → z_e [B, latentDim, h, w]; the stride-2 stack, a 3×3 conv, a 1×1 conv."""
    return variance_preserving(nn.Sequential(
        conv_down(shape["channels"], channels),
        nn.Conv2d(channels[-1], channels[-1], 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(channels[-1], latent_dim, 1)))


def vq_conv_decoder(latent_dim, channels, shape):
    """VqNetworks.ConvDecoder: z_q [B, latentDim, h, w] → [B, C, H, W] before the output activation."""
    return variance_preserving(nn.Sequential(
        nn.Conv2d(latent_dim, channels[-1], 3, padding=1),
        nn.ReLU(),
        conv_up(channels, shape["channels"])))


class Codebook(nn.Module):
    """Models/VectorQuantized/Codebook.cs: K codes embed [K, D] (a parameter, or a buffer under EMA), cluster_size [K],
    embed_avg [K, D] (EMA only), initted [1] and steps_unused [K] (int64). Only the nearest-code search is mirrored:
    k-means, EMA updates and restarts happen in training."""

    def __init__(self, size, dimension, ema, kmeans_init):
        super().__init__()
        initial = torch.randn(size, dimension)
        if ema:
            self.register_buffer("embed", initial)
        else:
            self.embed = nn.Parameter(initial)
        self.register_buffer("cluster_size", torch.ones(size))
        if ema:
            self.register_buffer("embed_avg", initial.clone())
        self.register_buffer("initted", torch.full([1], 0.0 if kmeans_init else 1.0))
        self.register_buffer("steps_unused", torch.zeros(size, dtype=torch.int64))

    def nearest(self, vectors):
        """Vectors [N, D] → the index of the nearest code [N]: argmin of ‖e‖² − 2 z·e (‖z‖² is the same for every
        code) in one addmm, as Codebook.Nearest. A search that sums in another order (in blocks of rows, fused)
        differs only in rounding, so only a near-tie between two codes could choose differently."""
        return torch.addmm(self.embed.square().sum(1), vectors, self.embed.t(), beta=1, alpha=-2).argmin(1)

    def lookup(self, indices):
        return self.embed.index_select(0, indices)


class VectorQuantizer(nn.Module):
    """Models/VectorQuantized/VectorQuantizer.cs: z [N, dim] → project_in (when L·D ≠ dim) → L heads of D, each
    replaced by the nearest code of its own codebook → project_out."""

    def __init__(self, dimension, heads, codebook_size, code_dimension, ema, kmeans_init):
        super().__init__()
        self.heads, self.code_dimension = heads, code_dimension
        self.codebooks = nn.ModuleList(Codebook(codebook_size, code_dimension, ema, kmeans_init) for _ in range(heads))
        projected = heads * code_dimension != dimension
        self.project_in = nn.Linear(dimension, heads * code_dimension) if projected else None
        self.project_out = nn.Linear(heads * code_dimension, dimension) if projected else None

    def parts(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        return projected.reshape(z.shape[0], self.heads, self.code_dimension)  # [N, L·D] -> [N, L, D]

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * self.code_dimension)  # [N, L, D] -> [N, L·D]
        return flat if self.project_out is None else self.project_out(flat)

    def lookup(self, codes):
        """Codes [N, L] → the code vectors [N, L, D]."""
        return torch.stack([codebook.lookup(codes[:, head]) for head, codebook in enumerate(self.codebooks)], 1)

    def nearest(self, parts):
        """Parts [N, L, D] → the nearest code of every head in its own codebook [N, L] (int64)."""
        return torch.stack([codebook.nearest(parts[:, head]) for head, codebook in enumerate(self.codebooks)], 1)

    def codes(self, z):
        """z [N, dim] → the code of every head [N, L]."""
        return self.nearest(self.parts(z))

    def embed(self, codes):
        """VectorQuantizer.Embed: codes [N, L] → the decoder's input [N, dim]."""
        return self.unproject(self.lookup(codes))

    def forward(self, z):
        """Quantize(learn: false).Output. The straight-through sum z_e + (z_q − z_e) is written out as Latent
        computes it: it equals z_q only up to rounding, and the comparison is finer than that."""
        parts = self.parts(z)
        quantized = self.lookup(self.nearest(parts))
        return self.unproject(parts + (quantized - parts))


# ---- Models/VectorQuantized: the other quantizers (FSQ, LFQ, residual VQ, cosine codes) ----
# Mirrors of FiniteScalarQuantizer.cs, LookupFreeQuantizer.cs, ResidualQuantizer.cs and the cosine option of
# VectorQuantizer.cs / Codebook.cs (issue 18). Each works on rows z [N, dim] like VectorQuantizer above and has
# forward (the decoder's input), codes [N, C] and embed; only what evaluation runs is mirrored (no losses, no
# learning). The rotation trick changes gradients only: its forward value is z_q, as the straight-through sum's.

class CosineVectorQuantizer(VectorQuantizer):
    """VectorQuantizer with --cosine: z_e's parts and the codes l2-normalised before the search and the lookup."""

    def parts(self, z):
        return nn.functional.normalize(super().parts(z), p=2, dim=2)

    def lookup(self, codes):
        return torch.stack([nn.functional.normalize(codebook.embed.index_select(0, codes[:, head]), p=2, dim=1)
                            for head, codebook in enumerate(self.codebooks)], 1)

    def nearest(self, parts):
        def one(codebook, vectors):
            codes = nn.functional.normalize(codebook.embed, p=2, dim=1)
            return torch.addmm(codes.square().sum(1), vectors, codes.t(), beta=1, alpha=-2).argmin(1)
        return torch.stack([one(codebook, parts[:, head]) for head, codebook in enumerate(self.codebooks)], 1)


class FiniteScalarQuantizer(nn.Module):
    """FiniteScalarQuantizer.cs (Mentzer et al. 2023, appendix A.1): project to L heads of d = len(levels) channels,
    f(z) = tanh(z + tan(o/h))·h − o with h = (L_i − 1)(1 − 1e-3)/2 and o = ½ for even L_i, round, divide by ⌊L_i/2⌋;
    the code is the mixed-radix integer of the digits round(f) + ⌊L_i/2⌋, first channel least significant."""

    EPSILON = 1e-3

    def __init__(self, dimension, heads, levels):
        super().__init__()
        self.heads, self.levels = heads, list(levels)
        d = len(self.levels)
        projected = heads * d != dimension
        self.project_in = nn.Linear(dimension, heads * d) if projected else None
        self.project_out = nn.Linear(heads * d, dimension) if projected else None
        half = [(level - 1) * (1 - self.EPSILON) / 2 for level in self.levels]
        offset = [0.5 if level % 2 == 0 else 0.0 for level in self.levels]
        # float64 arithmetic, float32 constants: as Latent computes them
        self.half = torch.tensor(half, dtype=torch.float32)
        self.offset = torch.tensor(offset, dtype=torch.float32)
        self.shift = torch.tensor([math.tan(o / h) for o, h in zip(offset, half)], dtype=torch.float32)
        self.width = torch.tensor([float(level // 2) for level in self.levels])
        self.basis = torch.tensor([math.prod(self.levels[:i]) for i in range(d)], dtype=torch.int64)

    def rounded(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        parts = projected.reshape(z.shape[0], self.heads, len(self.levels))  # [N, L·d] -> [N, L, d]
        return (torch.tanh(parts + self.shift) * self.half - self.offset).round()

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * len(self.levels))
        return flat if self.project_out is None else self.project_out(flat)

    def codes(self, z):
        digits = (self.rounded(z) + self.width).to(torch.int64)
        return (digits * self.basis).sum(-1)

    def embed(self, codes):
        levels = torch.tensor(self.levels, dtype=torch.int64)
        digits = torch.div(codes.unsqueeze(-1), self.basis, rounding_mode="floor").remainder(levels)
        return self.unproject((digits.to(torch.float32) - self.width) / self.width)

    def forward(self, z):
        return self.unproject(self.rounded(z) / self.width)


class LookupFreeQuantizer(nn.Module):
    """LookupFreeQuantizer.cs (Yu et al. 2023): project to L heads of d = log2 K channels, each replaced by its sign
    (0 counts as −1); the code is Σ_i 2^i·[z_i > 0]."""

    def __init__(self, dimension, heads, bits):
        super().__init__()
        self.heads, self.bits = heads, bits
        projected = heads * bits != dimension
        self.project_in = nn.Linear(dimension, heads * bits) if projected else None
        self.project_out = nn.Linear(heads * bits, dimension) if projected else None
        self.powers = torch.tensor([1 << bit for bit in range(bits)], dtype=torch.int64)

    def parts(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        return projected.reshape(z.shape[0], self.heads, self.bits)

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * self.bits)
        return flat if self.project_out is None else self.project_out(flat)

    def codes(self, z):
        return ((self.parts(z) > 0).to(torch.int64) * self.powers).sum(-1)

    def embed(self, codes):
        return self.unproject((codes.unsqueeze(-1).bitwise_and(self.powers) > 0).to(torch.float32) * 2 - 1)

    def forward(self, z):
        parts = self.parts(z)
        signs = (parts > 0).to(torch.float32) * 2 - 1
        return self.unproject(parts + (signs - parts))


class ResidualQuantizer(nn.Module):
    """ResidualQuantizer.cs (Zeghidour et al. 2021): N_q stages of learned codebooks on successive residuals, per head;
    codebooks.{s·L + h} (codebooks.{h} when shared); the codes of a row are stage by stage, head by head."""

    def __init__(self, dimension, heads, codebook_size, code_dimension, stages, shared, ema, kmeans_init):
        super().__init__()
        self.heads, self.code_dimension, self.stages, self.shared = heads, code_dimension, stages, shared
        self.codebooks = nn.ModuleList(Codebook(codebook_size, code_dimension, ema, kmeans_init)
                                       for _ in range((1 if shared else stages) * heads))
        projected = heads * code_dimension != dimension
        self.project_in = nn.Linear(dimension, heads * code_dimension) if projected else None
        self.project_out = nn.Linear(heads * code_dimension, dimension) if projected else None

    def codebook(self, stage, head):
        return self.codebooks[(0 if self.shared else stage) * self.heads + head]

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * self.code_dimension)
        return flat if self.project_out is None else self.project_out(flat)

    def codes(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        residual = projected.reshape(z.shape[0], self.heads, self.code_dimension)
        codes = []
        for stage in range(self.stages):
            chosen = [self.codebook(stage, head).nearest(residual[:, head]) for head in range(self.heads)]
            residual = residual - torch.stack([self.codebook(stage, h).lookup(c) for h, c in enumerate(chosen)], 1)
            codes.extend(chosen)
        return torch.stack(codes, 1)

    def summed(self, codes, stages):
        """The codes of the first `stages` stages → their sum per head [N, L, D], before project_out."""
        total = 0
        for stage in range(stages):
            total = total + torch.stack([self.codebook(stage, head).lookup(codes[:, stage * self.heads + head])
                                         for head in range(self.heads)], 1)
        return total

    def embed(self, codes, stages=None):
        return self.unproject(self.summed(codes, self.stages if stages is None else stages))

    def forward(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        parts = projected.reshape(z.shape[0], self.heads, self.code_dimension)
        total = self.summed(self.codes(z), self.stages)
        return self.unproject(parts + (total - parts))


def build_quantizer(options, latent_dim, heads, code_dimension):
    """Quantizers.cs: --quantizer vq|fsq|lfq|rvq (manifests from before the option are vq)."""
    kind = options.get("quantizer", "vq")
    if kind == "fsq":
        levels = options.get("levels") or FSQ_DEFAULT_LEVELS[options["codebook_size"]]
        return FiniteScalarQuantizer(latent_dim, heads, levels)
    if kind == "lfq":
        return LookupFreeQuantizer(latent_dim, heads, options["codebook_size"].bit_length() - 1)
    if kind == "rvq":
        stages = options.get("stages") or 4
        return ResidualQuantizer(latent_dim, heads, options["codebook_size"], code_dimension, stages,
                                 options.get("shared_codebook", False), options["ema"], options["kmeans_init"])
    quantizer = CosineVectorQuantizer if options.get("cosine", False) else VectorQuantizer
    return quantizer(latent_dim, heads, options["codebook_size"], code_dimension, options["ema"], options["kmeans_init"])


def code_space(options, heads):
    """VqOptions.CodeSpace: (codes per position, K): heads × stages for rvq, Π levels for fsq."""
    kind = options.get("quantizer", "vq")
    if kind == "fsq":
        return heads, math.prod(options.get("levels") or FSQ_DEFAULT_LEVELS[options["codebook_size"]])
    return heads * ((options.get("stages") or 4) if kind == "rvq" else 1), options["codebook_size"]


# FiniteScalarQuantizer.DefaultLevels: the FSQ paper's Table 1, and 8,8,8 for 512
FSQ_DEFAULT_LEVELS = {256: [8, 6, 5], 512: [8, 8, 8], 1024: [8, 5, 5, 5], 4096: [7, 5, 5, 5, 5],
                      16384: [8, 8, 8, 6, 5], 65536: [8, 8, 8, 5, 5, 5]}

# ---- end of the other quantizers ----


class CodeTransformer(nn.Module):
    """Models/VectorQuantized/CodeTransformer.cs, nanoGPT's GPT around the shared causal blocks: tokens [B, t] → next-code logits [B, t, K].

    A sequence is the code grid position-major, the L heads of a position one after another; code c of head h
    is token h·K + c, and token L·K starts every sequence."""

    ATTENTION_HEADS = 4  # CodeTransformer.AttentionHeads

    def __init__(self, sequence_length, heads, codebook_size, width, layers):
        super().__init__()
        self.code_heads, self.codebook_size = heads, codebook_size
        self.wte = nn.Embedding(heads * codebook_size + 1, width)
        self.wpe = nn.Embedding(sequence_length, width)
        self.h = transformer_blocks(layers, width, self.ATTENTION_HEADS, causal=True)
        self.ln_f = nn.LayerNorm(width)
        self.lm_head = nn.Linear(width, codebook_size)
        with torch.no_grad():  # GPT-2's small embeddings
            nn.init.normal_(self.wte.weight, 0, 0.02)
            nn.init.normal_(self.wpe.weight, 0, 0.02)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[1]))  # [B, t, E]
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def inputs(self, codes):
        """CodeTransformer.Inputs: codes [B, T] (head-local) → the start token, then all codes but the last, as tokens [B, T]."""
        offsets = torch.arange(codes.shape[1]).remainder(self.code_heads).mul(self.codebook_size).unsqueeze(0)
        start = torch.full((codes.shape[0], 1), self.code_heads * self.codebook_size, dtype=torch.int64)
        return torch.cat([start, (codes + offsets)[:, :-1]], 1)


class CodePrior(nn.Module):
    """Models/VectorQuantized/CodePrior.cs: counts [P, L, K] (the empirical prior), trained_epochs [1] and, when
    prior_epochs > 0, the transformer; the VQ-VAE's prior.* entries."""

    def __init__(self, positions, heads, codebook_size, width, layers, autoregressive):
        super().__init__()
        self.register_buffer("counts", torch.zeros(positions, heads, codebook_size))
        self.register_buffer("trained_epochs", torch.zeros(1))
        self.transformer = CodeTransformer(positions * heads, heads, codebook_size, width, layers) if autoregressive else None


class VqVae(Autoencoder):
    """Models/VectorQuantized/VqVae.cs: z_e = encoder(x) at P positions (a grid for conv, slots for mlp), each of
    latentDim channels, quantised by the quantizer; x̂ = decoder(z_q), through a sigmoid for [0, 1] data.

    encode: z_q flattened position-major, channels last [B, P·latentDim]. decode: z as it is, not re-quantised.
    codes and decode_codes give the discrete path; the prior plays no part in encode and reconstruct."""

    def __init__(self, options, shape):
        super().__init__()
        self.conv, self.latent_dim = options["arch"] == "conv", options["latent_dim"]
        self.unit_range = shape["kind"] == "image"
        if self.conv:
            side = 2 ** len(options["channels"])
            self.grid = [shape["height"] // side, shape["width"] // side]
            self.encoder = vq_conv_encoder(shape, options["channels"], self.latent_dim)
            self.decoder = vq_conv_decoder(self.latent_dim, options["channels"], shape)
        else:
            self.grid = [options["slots"]]
            features = math.prod(dimensions(shape))
            self.encoder = variance_preserving(MlpEncoder(features, options["hidden"], self.grid[0] * self.latent_dim))
            self.decoder = variance_preserving(MlpDecoder(self.grid[0] * self.latent_dim, options["hidden"], dimensions(shape)))
        self.positions, heads = math.prod(self.grid), options["heads"]
        # VqOptions.CodeDimension: code_dim, or z_e split evenly across the heads
        code_dimension = self.latent_dim // heads if options.get("code_dim") is None else options["code_dim"]
        self.quantizer = build_quantizer(options, self.latent_dim, heads, code_dimension)
        self.codes_per_position, codebook_size = code_space(options, heads)
        self.prior = CodePrior(self.positions, self.codes_per_position, codebook_size, options["prior_width"],
                               options["prior_layers"], autoregressive=options["prior_epochs"] > 0)

    def continuous(self, x):
        """x → z_e [B, P, latentDim]."""
        features = self.encoder(x)
        if self.conv:  # [B, C, h, w] -> [B, h, w, C] -> [B, h·w, C]
            return features.permute(0, 2, 3, 1).reshape(x.shape[0], self.positions, self.latent_dim)
        return features.reshape(x.shape[0], self.positions, self.latent_dim)  # [B, P·C] -> [B, P, C]

    def decode_positions(self, quantized):
        """z_q [B, P, latentDim] → x̂ in data units."""
        batch = quantized.shape[0]
        if self.conv:  # [B, h·w, C] -> [B, h, w, C] -> [B, C, h, w]
            features = quantized.reshape(batch, *self.grid, self.latent_dim).permute(0, 3, 1, 2)
        else:          # [B, P, C] -> [B, P·C]
            features = quantized.reshape(batch, self.positions * self.latent_dim)
        output = self.decoder(features)
        return torch.sigmoid(output) if self.unit_range else output

    def encode(self, x):
        quantized = self.quantizer(self.continuous(x).reshape(-1, self.latent_dim))
        return quantized.reshape(x.shape[0], self.positions * self.latent_dim)

    def decode(self, z):
        return self.decode_positions(z.reshape(z.shape[0], self.positions, self.latent_dim))

    def codes(self, x):
        """x → the code of every position and head [B, P, L] (int64)."""
        codes = self.quantizer.codes(self.continuous(x).reshape(-1, self.latent_dim))
        return codes.reshape(x.shape[0], self.positions, self.codes_per_position)

    def decode_codes(self, codes):
        """Codes [B, P, L] → x̂."""
        batch = codes.shape[0]
        embedded = self.quantizer.embed(codes.reshape(batch * self.positions, self.codes_per_position))
        return self.decode_positions(embedded.reshape(batch, self.positions, self.latent_dim))


FAMILIES = {
    "ae": PlainAutoencoder,
    "linear": LinearAutoencoder,
    "pca": Pca,
    "dae": DenoisingAutoencoder,
    "mae": MaskedAutoencoder,
    "vae": VariationalAutoencoder,
    "vqvae": VqVae,
}


def build(manifest):
    family = manifest["family"]
    if family not in FAMILIES:
        print(f"interop.py: family '{family}' has no PyTorch mirror yet", file=sys.stderr)
        sys.exit(1)
    return FAMILIES[family](manifest["model"], manifest["shape"])


def outputs(model, x):
    with torch.no_grad():
        return {"encode": model.encode(x), "reconstruct": model.reconstruct(x)}


def agrees(label, value, reference):
    """Prints the largest difference and whether it is within TOLERANCE (relative beyond magnitude 1)."""
    difference = (value - reference).abs().max().item()
    scale = max(1.0, reference.abs().max().item())
    print(f"{label}: max |difference| {difference:.2e} (values up to {scale:.3g})")
    return difference <= TOLERANCE * scale


def reinitialise(model):
    """PyTorch's own values for everything the mirror's initialisers leave undrawn, so that no two
    tensors hold the same constant and a mix-up of names cannot pass unnoticed: state without an
    initialiser (PCA's fit, running averages) gets U(0.5, 1.5); constant parameters (zero biases,
    unit LayerNorm scales, a fixed [MASK] value) get a small perturbation. Fixed buffers stay."""
    fixed = set(model.fixed_buffers)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if buffer.is_floating_point() and name not in fixed:
                buffer.copy_(torch.rand_like(buffer) + 0.5)
        for parameter in model.parameters():
            if (parameter == parameter.flatten()[0]).all():
                parameter.add_(0.1 * torch.randn_like(parameter))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    run = sys.argv[1]
    torch.set_num_threads(1)
    with open(f"{run}/manifest.json") as file:
        manifest = json.load(file)
    family = manifest["family"]
    model = build(manifest).eval()
    formula = {name: buffer.clone() for name, buffer in model.named_buffers() if name in model.fixed_buffers}

    weights = load_safetensors(f"{run}/model.safetensors")
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        print(f"interop.py: state dict mismatch: missing {missing}, unexpected {unexpected}", file=sys.stderr)
        sys.exit(1)
    ok = True
    for name, value in formula.items():
        ok &= agrees(f"fixed buffer {family} {name} against this script's formula", value, weights[name])
    reference = load_safetensors(f"{run}/interop.safetensors")
    for name, value in outputs(model, reference["input"]).items():
        ok &= agrees(f"latent → pytorch {family} {name}", value, reference[name])

    torch.manual_seed(0)
    fresh = build(manifest).eval()
    reinitialise(fresh)
    save_safetensors(f"{run}/pytorch.safetensors", fresh.state_dict())
    save_safetensors(f"{run}/pytorch_outputs.safetensors", outputs(fresh, reference["input"]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
