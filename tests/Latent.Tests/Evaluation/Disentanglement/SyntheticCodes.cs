using Latent.Data;
using Latent.Evaluation.Disentanglement;

namespace Latent.Tests.Evaluation.Disentanglement;

/// <summary>Seeded factors and codes whose disentanglement is known by construction.</summary>
public static class SyntheticCodes
{
    /// <summary><paramref name="factors"/> factors of <paramref name="classes"/> uniform classes, [factor][example].</summary>
    public static int[][] Factors(int count, int factors = 3, int classes = 5, long seed = 1)
    {
        var random = new SplitMix64(seed);
        return Enumerable.Range(0, factors).Select(_ => Enumerable.Range(0, count).Select(_ => (int)random.NextBelow((ulong)classes)).ToArray()).ToArray();
    }

    public static IReadOnlyList<DiscreteFactor> Named(int[][] factors, int classes = 5) =>
        factors.Select((values, k) => new DiscreteFactor($"f{k}", values, classes, "synthetic")).ToArray();

    /// <summary>One code dimension per factor (its class plus a little noise inside the class), then <paramref name="extra"/> dimensions of pure noise.</summary>
    public static float[][] Perfect(int[][] factors, int extra = 1, long seed = 2)
    {
        var random = new SplitMix64(seed);
        int n = factors[0].Length;
        var codes = factors.Select(values => values.Select(v => (float)(v + 0.5 + random.Uniform(-0.2, 0.2))).ToArray()).ToList();
        for (int e = 0; e < extra; e++) codes.Add(Noise(n, ref random));
        return codes.ToArray();
    }

    /// <summary>The perfect code with its first two dimensions rotated by 45°: factors 0 and 1 are each spread over two dimensions.</summary>
    public static float[][] Mixed(int[][] factors, long seed = 2)
    {
        var codes = Perfect(factors, seed: seed);
        var (a, b) = (codes[0], codes[1]);
        codes[0] = a.Zip(b, (x, y) => (float)((x + y) / Math.Sqrt(2))).ToArray();
        codes[1] = a.Zip(b, (x, y) => (float)((x - y) / Math.Sqrt(2))).ToArray();
        return codes;
    }

    /// <summary><paramref name="dimensions"/> dimensions independent of every factor.</summary>
    public static float[][] Unrelated(int count, int dimensions, long seed = 3)
    {
        var random = new SplitMix64(seed);
        return Enumerable.Range(0, dimensions).Select(_ => Noise(count, ref random)).ToArray();
    }

    static float[] Noise(int count, ref SplitMix64 random)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return values;
    }
}
