"""What every textbook loop shares: the data (read exactly as Latent reads it), a plain training loop,
and the linear probe, written out as Latent's Evaluation/LinearProbe.cs defines it.

Nothing here is tuned: the loops are what a user writes from the PyTorch tutorials (Adam 1e-3,
batch 128, constant learning rate, the whole training split, N epochs, the test figure at the end).
"""
import gzip
import math
import os
import struct
import time

import numpy as np
import torch

FASHION_MNIST = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")

# ---- data --------------------------------------------------------------------------------------

def _idx_images(path):
    with gzip.open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051, path
        pixels = np.frombuffer(f.read(), dtype=np.uint8).reshape(count, 1, rows, cols)
    return torch.from_numpy(pixels.astype(np.float32) / 255.0)


def _idx_labels(path):
    with gzip.open(path, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        assert magic == 2049, path
        return torch.from_numpy(np.frombuffer(f.read(), dtype=np.uint8).astype(np.int64))


def fashion_mnist():
    """(train x [60000, 1, 28, 28] in [0, 1], train labels, test x [10000, ...], test labels)."""
    join = lambda name: os.path.join(FASHION_MNIST, name)
    return (_idx_images(join("train-images-idx3-ubyte.gz")), _idx_labels(join("train-labels-idx1-ubyte.gz")),
            _idx_images(join("t10k-images-idx3-ubyte.gz")), _idx_labels(join("t10k-labels-idx1-ubyte.gz")))


MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _mix(z):
    """SplitMix64's finaliser (Data/Shuffle.cs SplitMix64.Mix)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def derive(seed, counter):
    """Shuffle.Derive(seed, counter) as an unsigned 64-bit value."""
    return _mix(((seed * GOLDEN) & MASK64) ^ (counter & MASK64))


class SplitMix64:
    """Data/Shuffle.cs SplitMix64: Next, NextBelow (rejection), NextDouble (53 bits), Uniform."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + GOLDEN) & MASK64
        return _mix(self.state)

    def below(self, bound):
        limit = MASK64 - MASK64 % bound
        while True:
            value = self.next()
            if value < limit:
                return value % bound

    def uniform(self, low, high):
        return low + (high - low) * ((self.next() >> 11) * (1.0 / (1 << 53)))


def permutation(count, seed):
    """Shuffle.Permutation: Fisher-Yates driven by SplitMix64 (Latent's seeded splits)."""
    order = list(range(count))
    random = SplitMix64(seed)
    for i in range(count - 1, 0, -1):
        j = random.below(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


SHAPES_SIZE = 32


def _shapes(count, seed):
    """Data/Sources/ShapesSource.cs Generate, ported: one white shape on black, 4×4 supersampled.

    Factors are drawn per image from SplitMix64(Derive(seed, i)) and stored as float32, as Latent stores
    them; the rendering repeats Latent's double-precision arithmetic operation by operation (cos and
    sin from libm, like .NET's Math), so the pixels come out identical."""
    size, sub = SHAPES_SIZE, 4
    shapes = np.zeros(count, dtype=np.int64)
    factors = np.zeros((count, 4), dtype=np.float32)  # scale, rotation, x, y
    for i in range(count):
        random = SplitMix64(derive(seed, i))
        shapes[i] = random.below(4)
        factors[i] = (random.uniform(0.5, 1.0), random.uniform(0, 2 * math.pi), random.uniform(0.35, 0.65), random.uniform(0.35, 0.65))
    # sample offsets of one pixel: column + (sx + 0.5)/4, row + (sy + 0.5)/4
    offsets = (np.arange(sub, dtype=np.float64) + 0.5) / sub
    columns = (np.arange(size, dtype=np.float64)[None, :, None, None] + offsets[None, None, None, :])  # [1, col, 1, sx]
    rows = (np.arange(size, dtype=np.float64)[:, None, None, None] + offsets[None, None, :, None])      # [row, 1, sy, 1]
    pixels = np.zeros((count, 1, size, size), dtype=np.float32)
    for i in range(count):
        scale, rotation, x, y = (float(v) for v in factors[i])
        radius = scale * 0.25 * size
        cos, sin = math.cos(rotation), math.sin(rotation)
        dx = columns - x * size
        dy = rows - y * size
        u = (cos * dx + sin * dy) / radius
        v = (-sin * dx + cos * dy) / radius
        kind = shapes[i]
        if kind == 0:
            inside = (np.abs(u) <= 0.85) & (np.abs(v) <= 0.85)
        elif kind == 1:
            inside = u * u + v * v / 0.36 <= 1
        elif kind == 2:
            hx, hy = u * 1.15, -v * 1.15 + 0.15
            a = hx * hx + hy * hy - 1
            inside = a * a * a - hx * hx * hy * hy * hy <= 0
        else:
            inside = (v <= 0.6) & (v >= -0.9 + 1.732 * np.abs(u) * 0.866)
        pixels[i, 0] = inside.sum(axis=(2, 3)).astype(np.float32) / np.float32(sub * sub)
    return torch.from_numpy(pixels), torch.from_numpy(shapes)


def shapes():
    """Latent's built-in shapes: 20000 training images (seed 1), 2000 test images (seed 2), labels = the shape."""
    train_x, train_y = _shapes(20000, 1)
    test_x, test_y = _shapes(2000, 2)
    return train_x, train_y, test_x, test_y


def load(name):
    if name == "fashion-mnist":
        return fashion_mnist()
    if name == "shapes":
        return shapes()
    raise SystemExit(f"unknown data '{name}': pass fashion-mnist or shapes")


# ---- training ----------------------------------------------------------------------------------

def batches(train, batch_size):
    """One epoch of shuffled mini-batches (torch.randperm, as DataLoader(shuffle=True) draws them)."""
    order = torch.randperm(len(train))
    for start in range(0, len(train), batch_size):
        yield train[order[start:start + batch_size]]


def fit(model, loss_of, train, epochs, lr=1e-3, batch_size=128, log=print):
    """The textbook loop: Adam at a constant rate, mean loss per batch, every epoch over all of `train`.
    Returns the seconds it took."""
    clock = time.time()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for x in batches(train, batch_size):
            loss = loss_of(x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
        log(f"epoch {epoch + 1}: train loss {total / len(train):.6g}")
    return time.time() - clock


@torch.no_grad()
def mean_over(test, per_batch, batch=500):
    """Σ per_batch(x) over the test set / N, per_batch returning a sum over its batch."""
    total = 0.0
    for start in range(0, len(test), batch):
        total += float(per_batch(test[start:start + batch]))
    return total / len(test)


@torch.no_grad()
def reconstruction_mse(reconstruct, test, batch=500):
    """Mean squared error per element, as Evaluator.ReconstructionError."""
    return mean_over(test, lambda x: (reconstruct(x) - x).square().sum(), batch) / test[0].numel()


@torch.no_grad()
def encode_all(encode, data, batch=500):
    return torch.cat([encode(data[start:start + batch]) for start in range(0, len(data), batch)])


# ---- the linear probe, as Evaluation/LinearProbe.cs ---------------------------------------------

PROBE_L2 = 1e-4
PROBE_ITERATIONS = 150


def _lbfgs(start, objective, memory=10):
    """LinearProbe.Minimise: L-BFGS (two-loop recursion, memory 10) with backtracking Armijo steps."""
    def evaluate(point):
        variable = point.detach().requires_grad_(True)
        value = objective(variable)
        (gradient,) = torch.autograd.grad(value, variable)
        return value.item(), gradient.detach()

    x = start
    f, g = evaluate(x)
    history = []
    for _ in range(PROBE_ITERATIONS):
        if g.abs().max().item() <= 1e-6:
            break
        direction = -g
        alphas = [0.0] * len(history)
        for i in range(len(history) - 1, -1, -1):
            s, y, rho = history[i]
            alphas[i] = rho * s.dot(direction).item()
            direction = direction - alphas[i] * y
        if history:
            s, y, _ = history[-1]
            direction = direction * (s.dot(y).item() / y.dot(y).item())
        for i, (s, y, rho) in enumerate(history):
            beta = rho * y.dot(direction).item()
            direction = direction + (alphas[i] - beta) * s
        slope = g.dot(direction).item()
        if slope >= 0:
            history.clear()
            direction = -g
            slope = -g.dot(g).item()
        step = min(1.0, 1.0 / g.abs().sum().item()) if not history else 1.0
        tries = 0
        while True:
            nxt = x + step * direction
            next_value, next_gradient = evaluate(nxt)
            tries += 1
            if next_value <= f + 1e-4 * step * slope or tries >= 30:
                break
            step *= 0.5
        s_new, y_new = nxt - x, next_gradient - g
        curvature = s_new.dot(y_new).item()
        if curvature > 1e-10:
            history.append((s_new, y_new, 1.0 / curvature))
            if len(history) > memory:
                history.pop(0)
        stalled = abs(f - next_value) <= 1e-9 * max(1.0, abs(f))
        x, f, g = nxt, next_value, next_gradient
        if stalled:
            break
    return x


def probe_accuracy(train_features, train_labels, test_features, test_labels):
    """LinearProbe.Accuracy: standardise by the training statistics, multinomial logistic regression from
    zero weights, mean cross-entropy + λ/2‖W‖² (λ = 1e-4), ≤ 150 full-batch L-BFGS iterations."""
    train, test = train_features.float(), test_features.float()
    mean = train.mean(0)
    spread = train.std(0, unbiased=False)
    spread = torch.where(spread < 1e-6, torch.ones_like(spread), spread)
    train, test = (train - mean) / spread, (test - mean) / spread
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    features = train.shape[1]

    def objective(theta):
        weights = theta[: features * classes].view(features, classes)
        biases = theta[features * classes:]
        return torch.nn.functional.cross_entropy(train @ weights + biases, train_labels) + 0.5 * PROBE_L2 * weights.square().sum()

    with torch.enable_grad():
        theta = _lbfgs(torch.zeros(features * classes + classes), objective)
    logits = test @ theta[: features * classes].view(features, classes) + theta[features * classes:]
    return (logits.argmax(1) == test_labels).double().mean().item()
