// The mutual information gap: Chen, Li, Grosse & Duvenaud 2018, "Isolating Sources of
// Disentanglement in Variational Autoencoders", eq. 5, as disentanglement_lib computes it
// (evaluation/metrics/mig.py with the histogram discretiser of 20 bins):
//
//   MIG = (1/K) Σₖ (I(z_{j⁽ᵏ⁾}; vₖ) − max_{j ≠ j⁽ᵏ⁾} I(z_j; vₖ)) / H(vₖ),   j⁽ᵏ⁾ = argmax_j I(z_j; vₖ),
//
// where each code dimension z_j is first made discrete by a 20-bin histogram over its own range
// and I, H are the plug-in (empirical) mutual information and entropy in nats. A perfectly
// disentangled code gives 1 (one dimension per factor, each carrying all of it); a code where
// every factor is spread over several dimensions, or carried by none, gives about 0.

namespace Latent.Evaluation.Disentanglement;

/// <summary>The mutual information gap and the matrix it comes from.</summary>
/// <param name="Score">MIG, the mean over factors of the normalised gap.</param>
/// <param name="MutualInformation">I(z_j; v_k) in nats, [code dimension][factor].</param>
/// <param name="FactorEntropy">H(v_k) in nats, per factor.</param>
public sealed record MigResult(double Score, double[][] MutualInformation, double[] FactorEntropy);

/// <summary>MIG (Chen et al. 2018) with disentanglement_lib's discretisation.</summary>
public static class MutualInformationGap
{
    /// <summary>Bins of the histogram that makes each code dimension discrete (disentanglement_lib's mig.gin: 20).</summary>
    public const int Bins = 20;

    /// <summary>MIG of codes [dimension][example] against factor classes [factor][example].</summary>
    public static MigResult Compute(IReadOnlyList<float[]> codes, IReadOnlyList<int[]> factors)
    {
        if (codes.Count < 2) throw new ArgumentException("MIG compares the two most informative code dimensions; it needs at least two", nameof(codes));
        var discrete = codes.Select(code => Discretise(code)).ToArray();
        var information = discrete.Select(code => factors.Select(factor => MutualInformation(factor, code)).ToArray()).ToArray();
        var entropy = factors.Select(Entropy).ToArray();
        double total = 0;
        for (int k = 0; k < factors.Count; k++)
        {
            var sorted = information.Select(row => row[k]).OrderDescending().ToArray();
            total += (sorted[0] - sorted[1]) / entropy[k];
        }
        return new MigResult(total / factors.Count, information, entropy);
    }

    /// <summary>
    /// numpy's <c>np.digitize(x, np.histogram(x, bins)[1][:-1])</c>: the left edges of <paramref name="bins"/>
    /// equal bins over [min x, max x], edge k = float32(min + k·(max − min)/bins) computed in float64 as numpy
    /// does, and each value's bin is the number of left edges at or below it (1 … bins).
    /// </summary>
    public static int[] Discretise(float[] values, int bins = Bins)
    {
        if (values.Length == 0) return [];
        double low = values.Min(), high = values.Max();
        if (low == high) (low, high) = (low - 0.5, high + 0.5);
        double step = (high - low) / bins;
        var edges = new float[bins];
        for (int k = 0; k < bins; k++) edges[k] = (float)(k * step + low);
        return values.Select(value =>
        {
            int bin = 0;
            while (bin < bins && edges[bin] <= value) bin++;
            return bin;
        }).ToArray();
    }

    /// <summary>The plug-in mutual information of two labelings in nats (scikit-learn's mutual_info_score).</summary>
    public static double MutualInformation(int[] first, int[] second)
    {
        if (first.Length != second.Length) throw new ArgumentException("one label of each kind per example is required");
        int n = first.Length;
        var joint = new Dictionary<(int, int), int>();
        var firstCounts = new Dictionary<int, int>();
        var secondCounts = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            joint[(first[i], second[i])] = joint.GetValueOrDefault((first[i], second[i])) + 1;
            firstCounts[first[i]] = firstCounts.GetValueOrDefault(first[i]) + 1;
            secondCounts[second[i]] = secondCounts.GetValueOrDefault(second[i]) + 1;
        }
        double information = 0;
        foreach (var ((a, b), count) in joint)
            information += count / (double)n * Math.Log((double)count * n / ((double)firstCounts[a] * secondCounts[b]));
        return Math.Max(0, information);
    }

    /// <summary>The plug-in entropy of a labeling in nats (I(v; v), as disentanglement_lib computes it).</summary>
    public static double Entropy(int[] labels) => MutualInformation(labels, labels);
}
