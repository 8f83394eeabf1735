"""Seeded permutations and the SplitMix64 generator, exactly as src/Latent/Data/Shuffle.cs.

SplitMix64 (Steele, Lea & Flood 2014): state ← state + γ, output Mix(state), with γ = 0x9E3779B97F4A7C15.
Its k-th output is Mix(seed + k·γ), so a whole stream is computed at once with numpy's wrapping uint64
arithmetic. Derive mixes a base seed with a counter (an epoch, a step, an example index).
"""
import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(z):
    """SplitMix64.Mix on a Python int (modulo 2⁶⁴) or a numpy uint64 array."""
    if isinstance(z, np.ndarray):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
    z &= MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def derive(seed, counter):
    """Shuffle.Derive as an unsigned 64-bit int: Mix((ulong)seed·γ ⊕ (ulong)counter). C# reads the same bits as a long."""
    return mix(((seed & MASK) * GOLDEN & MASK) ^ (counter & MASK))


def derive_many(seed, counters):
    """Shuffle.Derive for an array of counters (int64) → uint64 array."""
    with np.errstate(over="ignore"):
        base = np.uint64((seed & MASK) * GOLDEN & MASK)
        return mix(base ^ np.asarray(counters, dtype=np.int64).astype(np.uint64))


def as_signed(value):
    """The long that C# holds for an unsigned 64-bit value (what Latent passes to torch.manual_seed)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def stream(states, count):
    """The first `count` outputs of SplitMix64 from each of `states` (uint64 [n]) → uint64 [n, count]."""
    with np.errstate(over="ignore"):
        steps = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        return mix(np.asarray(states, dtype=np.uint64)[:, None] + steps[None, :])


def rejection_limit(bound):
    """NextBelow's rejection threshold: values at or above it are drawn again (no modulo bias)."""
    return MASK - MASK % bound


def to_unit(values):
    """NextDouble: the top 53 bits as a float64 in [0, 1)."""
    return (values >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


class SplitMix64:
    """The scalar generator, for the rare draw that needs a second try."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + GOLDEN) & MASK
        return mix(self.state)

    def next_below(self, bound):
        limit = rejection_limit(bound)
        while True:
            value = self.next()
            if value < limit:
                return value % bound

    def next_double(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))

    def uniform(self, low, high):
        return low + (high - low) * self.next_double()


def permutation(count, seed):
    """Shuffle.Permutation: Fisher–Yates from i = count−1 down to 1, j = NextBelow(i + 1), one draw per i."""
    if count < 2:
        return np.arange(count, dtype=np.int64)
    bounds = np.arange(count, 1, -1, dtype=np.uint64)              # i + 1 for i = count−1 … 1
    values = stream([seed & MASK], count - 1)[0]
    limits = np.uint64(MASK) - np.uint64(MASK) % bounds             # rejection thresholds, per draw
    if (values >= limits).any():                                     # probability ~count²/2⁶⁴: replay exactly
        return _permutation_scalar(count, seed)
    picks = (values % bounds).astype(np.int64).tolist()
    order = list(range(count))
    for i, j in zip(range(count - 1, 0, -1), picks):
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)


def _permutation_scalar(count, seed):
    order = list(range(count))
    random = SplitMix64(seed)
    for i in range(count - 1, 0, -1):
        j = random.next_below(i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order, dtype=np.int64)
