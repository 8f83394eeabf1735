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
     for Latent to load and reproduce.
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


# ---- families (src/Latent/Models) ----

class PlainAutoencoder(nn.Module):
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


class LinearAutoencoder(nn.Module):
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


class Pca(nn.Module):
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


FAMILIES = {"ae": PlainAutoencoder, "linear": LinearAutoencoder, "pca": Pca}


def build(manifest):
    family = manifest["family"]
    if family not in FAMILIES:
        print(f"interop.py: family '{family}' has no PyTorch mirror yet", file=sys.stderr)
        sys.exit(1)
    return FAMILIES[family](manifest["model"], manifest["shape"])


def outputs(model, x):
    with torch.no_grad():
        return {"encode": model.encode(x), "reconstruct": model.decode(model.encode(x))}


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    run = sys.argv[1]
    torch.set_num_threads(1)
    with open(f"{run}/manifest.json") as file:
        manifest = json.load(file)
    model = build(manifest).eval()

    weights = load_safetensors(f"{run}/model.safetensors")
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        print(f"interop.py: state dict mismatch: missing {missing}, unexpected {unexpected}", file=sys.stderr)
        sys.exit(1)
    reference = load_safetensors(f"{run}/interop.safetensors")
    ok = True
    for name, value in outputs(model, reference["input"]).items():
        difference = (value - reference[name]).abs().max().item()
        scale = max(1.0, reference[name].abs().max().item())
        print(f"latent → pytorch {manifest['family']} {name}: max |difference| {difference:.2e} (outputs up to {scale:.3g})")
        ok &= difference <= TOLERANCE * scale

    torch.manual_seed(0)
    fresh = build(manifest).eval()
    with torch.no_grad():
        for buffer in fresh.buffers():  # PyTorch's own values for state that has no initialiser
            if buffer.is_floating_point():
                buffer.copy_(torch.rand_like(buffer) + 0.5)
    save_safetensors(f"{run}/pytorch.safetensors", fresh.state_dict())
    save_safetensors(f"{run}/pytorch_outputs.safetensors", outputs(fresh, reference["input"]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
