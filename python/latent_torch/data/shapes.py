"""The built-in `shapes` data (src/Latent/Data/Sources/ShapesSource.cs): grey 32×32 images of one white
shape on black, in the spirit of dSprites (Matthey et al. 2017), generated from a seed.

Image i depends only on (seed, i): its factors are the first draws of SplitMix64(Derive(seed, i)) —
shape (NextBelow(4)), scale U(0.5, 1), rotation U(0, 2π), x and y U(0.35, 0.65), each rounded to
float32 — and its pixels count which of 4×4 sub-samples fall inside the shape. Every floating-point
operation is Latent's, in Latent's order, in float64, so the pixels are bit-identical; cosines come
from the C library (math.cos), as .NET's Math.Cos does, not from numpy's vectorised ones.
"""
import math

import numpy as np

from .. import shuffle

SIZE = 32
TRAIN_COUNT = 20000
TEST_COUNT = 2000
SHAPE_NAMES = ["square", "ellipse", "heart", "triangle"]
FACTOR_NAMES = ["shape", "scale", "rotation", "x", "y"]
SUBSAMPLES = 4
CHUNK = 32  # images rendered at once: 32·32²·16 float64 sub-samples (4 MB) per array, small enough to stay in cache


def load(limit=None):
    """(train with validation inside, test): Generate(min(limit, 20000), seed 1) and Generate(2000, seed 2)."""
    return generate(min(limit or TRAIN_COUNT, TRAIN_COUNT), seed=1), generate(TEST_COUNT, seed=2)


def factors(count, seed):
    """The generative factors of images 0..count−1: shape (int64) and scale, rotation, x, y (float32)."""
    states = shuffle.derive_many(seed, np.arange(count))
    draws = shuffle.stream(states, 5)                               # shape, scale, rotation, x, y: one draw each
    shapes = np.empty(count, dtype=np.int64)
    redo = draws[:, 0] >= np.uint64(shuffle.rejection_limit(len(SHAPE_NAMES)))
    shapes[~redo] = (draws[~redo, 0] % np.uint64(len(SHAPE_NAMES))).astype(np.int64)
    values = {}
    for column, (name, low, high) in enumerate([("scale", 0.5, 1.0), ("rotation", 0.0, 2 * math.pi),
                                                ("x", 0.35, 0.65), ("y", 0.35, 0.65)], start=1):
        values[name] = (low + (high - low) * shuffle.to_unit(draws[:, column])).astype(np.float32)
    for i in np.flatnonzero(redo):                                  # a rejected first draw shifts the stream: replay
        random = shuffle.SplitMix64(int(states[i]))
        shapes[i] = random.next_below(len(SHAPE_NAMES))
        values["scale"][i] = np.float32(random.uniform(0.5, 1.0))
        values["rotation"][i] = np.float32(random.uniform(0, 2 * math.pi))
        values["x"][i] = np.float32(random.uniform(0.35, 0.65))
        values["y"][i] = np.float32(random.uniform(0.35, 0.65))
    return {"shape": shapes, **values}


def generate(count, seed):
    """`count` images [count, 1, 32, 32] float32 with labels (the shape) and factors."""
    drawn = factors(count, seed)
    pixels = np.zeros((count, SIZE, SIZE), dtype=np.float32)
    for shape in range(len(SHAPE_NAMES)):                           # one shape at a time, similar sizes together
        chosen = np.flatnonzero(drawn["shape"] == shape)
        chosen = chosen[np.argsort(drawn["scale"][chosen], kind="stable")]
        for start in range(0, len(chosen), CHUNK):
            part = chosen[start:start + CHUNK]
            render(shape, drawn["scale"][part], drawn["rotation"][part], drawn["x"][part], drawn["y"][part], pixels, part)
    factor_values = {name: drawn[name].astype(np.float32) for name in FACTOR_NAMES}
    return pixels.reshape(count, 1, SIZE, SIZE), drawn["shape"].copy(), factor_values


# Every shape lies within distance EXTENT of its centre in its own unit frame (the square's corners reach
# 0.85·√2 ≈ 1.2), so sub-samples further than EXTENT·radius pixels away are outside: only a window around
# the centre is computed, and the pixels beyond it stay 0, as Latent's loop over every pixel finds them.
EXTENT = 1.25


def render(shape, scales, rotations, centre_x, centre_y, pixels, rows_of):
    """ShapesSource.Render for images of one shape, written into pixels[rows_of] ([n, 32, 32] float32)."""
    n = len(scales)
    radius = scales.astype(np.float64) * 0.25 * SIZE                                   # [n]
    cos = np.array([math.cos(float(r)) for r in rotations])[:, None, None]
    sin = np.array([math.sin(float(r)) for r in rotations])[:, None, None]
    # centreX·Size is float32 arithmetic in C# (exact: a power of two); everything else float64
    centre_column = (centre_x * np.float32(SIZE)).astype(np.float64)
    centre_row = (centre_y * np.float32(SIZE)).astype(np.float64)
    reach = EXTENT * radius + 2                                                         # pixels, with a margin
    side = min(SIZE, int(np.ceil(2 * reach.max())) + 1)                                 # window side for the chunk
    first_column = np.clip(np.floor(centre_column - reach).astype(np.int64), 0, SIZE - side)
    first_row = np.clip(np.floor(centre_row - reach).astype(np.int64), 0, SIZE - side)
    offsets = (np.arange(side)[:, None] + (np.arange(SUBSAMPLES) + 0.5)[None, :] / SUBSAMPLES).reshape(-1)  # [side·4]
    # sub-sample coordinates column + (sx + 0.5)/4 (exact in float64 however it is summed), minus the centre
    dx = (first_column[:, None] + offsets[None, :] - centre_column[:, None])[:, None, :]  # [n, 1, side·4]
    dy = (first_row[:, None] + offsets[None, :] - centre_row[:, None])[:, :, None]        # [n, side·4, 1]
    u = (cos * dx + sin * dy) / radius[:, None, None]                                   # [n, side·4, side·4]
    v = (-sin * dx + cos * dy) / radius[:, None, None]
    # [n, side·4, side·4] -> [n, side, 4, side, 4] -> sub-samples inside each pixel / 16, in float32
    counts = contains(shape, u, v).reshape(n, side, SUBSAMPLES, side, SUBSAMPLES).sum(axis=(2, 4))
    window = counts.astype(np.float32) / np.float32(SUBSAMPLES * SUBSAMPLES)
    for k in range(n):
        pixels[rows_of[k], first_row[k]:first_row[k] + side, first_column[k]:first_column[k] + side] = window[k]


def contains(shape, u, v):
    """ShapesSource.Contains: whether (u, v) lies inside the unit-sized shape, v pointing down."""
    if shape == 0:
        return (np.abs(u) <= 0.85) & (np.abs(v) <= 0.85)
    if shape == 1:
        return u * u + v * v / 0.36 <= 1
    if shape == 2:
        return heart(u * 1.15, -v * 1.15 + 0.15)
    return (v <= 0.6) & (v >= -0.9 + 1.732 * np.abs(u) * 0.866)


def heart(x, y):
    """The heart curve (x² + y² − 1)³ − x²y³ ≤ 0."""
    a = x * x + y * y - 1
    return a * a * a - x * x * y * y * y <= 0
