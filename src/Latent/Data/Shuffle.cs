namespace Latent.Data;

/// <summary>Seeded permutations: the data order is a pure function of (seed, epoch), so a resumed run replays it.</summary>
public static class Shuffle
{
    /// <summary>A permutation of 0..count-1 drawn from <paramref name="seed"/> (Fisher–Yates).</summary>
    public static int[] Permutation(int count, long seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var random = new SplitMix64(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)random.NextBelow((ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>A seed derived from a base seed and a counter (an epoch, a step), well mixed.</summary>
    public static long Derive(long seed, long counter) => (long)SplitMix64.Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)counter);
}

/// <summary>
/// A small, fast generator with a fully specified sequence (unlike System.Random, whose algorithm
/// may change between .NET versions), so seeded data and orders stay the same everywhere.
/// </summary>
public struct SplitMix64(long seed)
{
    ulong _state = (ulong)seed;

    /// <summary>The SplitMix64 finaliser (Steele, Lea &amp; Flood 2014): a bijective scramble of 64 bits, usable alone as a hash of a counter.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 uniformly distributed bits: the state advances by the golden-ratio increment 0x9E3779B97F4A7C15 and is mixed by <see cref="Mix"/>.</summary>
    public ulong Next() => Mix(_state += 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform in [0, bound), by rejection so there is no modulo bias.</summary>
    public ulong NextBelow(ulong bound)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong value;
        do value = Next(); while (value >= limit);
        return value % bound;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();
}
