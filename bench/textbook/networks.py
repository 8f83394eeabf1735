"""The encoders and decoders of Latent's defaults (src/Latent/Nn/Mlp.cs, Conv.cs), written as a PyTorch
user would: nn.Sequential, PyTorch's default initialisation (TorchSharp's is the same)."""
import torch.nn as nn


def mlp(sizes):
    """Linear → ReLU → … → Linear (no activation after the last layer)."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def mlp_encoder(shape, hidden, outputs):
    """x [B, C, H, W] → [B, outputs]: flatten, then e.g. 784-512-256-outputs."""
    channels, height, width = shape
    return nn.Sequential(nn.Flatten(), mlp([channels * height * width, *hidden, outputs]))


def mlp_decoder(inputs, hidden, shape):
    """z [B, inputs] → [B, C, H, W] before the output activation: the hidden widths reversed."""
    channels, height, width = shape
    return nn.Sequential(mlp([inputs, *reversed(hidden), channels * height * width]), nn.Unflatten(1, shape))


def conv_encoder(shape, channels, outputs):
    """x [B, C, H, W] → [B, outputs]: kernel-4 stride-2 convolutions with ReLU (32, 64 channels), flatten, linear."""
    layers, current = [], shape[0]
    for count in channels:
        layers += [nn.Conv2d(current, count, 4, stride=2, padding=1), nn.ReLU()]
        current = count
    side = 2 ** len(channels)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(current * (shape[1] // side) * (shape[2] // side), outputs))


def conv_decoder(inputs, channels, shape):
    """z [B, inputs] → [B, C, H, W] before the output activation: linear to a small grid, ReLU, the mirrored
    transposed convolutions with ReLU between them."""
    side = 2 ** len(channels)
    grid = (channels[-1], shape[1] // side, shape[2] // side)
    layers = [nn.Linear(inputs, grid[0] * grid[1] * grid[2]), nn.ReLU(), nn.Unflatten(1, grid)]
    widths = [*reversed(channels), shape[0]]
    for i in range(len(widths) - 1):
        layers.append(nn.ConvTranspose2d(widths[i], widths[i + 1], 4, stride=2, padding=1))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def encoder(arch, shape, outputs, hidden=(512, 256), channels=(32, 64)):
    return mlp_encoder(shape, hidden, outputs) if arch == "mlp" else conv_encoder(shape, channels, outputs)


def decoder(arch, inputs, shape, hidden=(512, 256), channels=(32, 64)):
    return mlp_decoder(inputs, hidden, shape) if arch == "mlp" else conv_decoder(inputs, channels, shape)
