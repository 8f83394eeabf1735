namespace Latent.Models.Pca;

/// <summary>
/// Which solver <see cref="PcaSolver.Auto"/> takes, from a count of multiply-adds. scikit-learn's policy
/// (1.5) is exact for tall, narrow data (F ≤ 1000 and N ≥ 10·F) and small data (max(N, F) ≤ 500),
/// randomized whenever K &lt; 0.8·min(N, F). Latent keeps the spirit, "randomized when K ≪ min(N, F)",
/// and decides by cost: exact when it is affordable (at most <see cref="AffordableMultiplyAdds"/>,
/// about a second on two cores) or when randomized would not be at least twice as cheap; randomized
/// otherwise. So every data set up to Fashion-MNIST's and the built-in 32×32 shapes is fitted exactly,
/// as before, and 50 000 × 12 288 with K = 64 (exact: ~8·10¹³, randomized: ~4·10¹¹) randomized.
/// </summary>
public static class SolverChoice
{
    /// <summary>An exact fit below this many multiply-adds is always taken (and, by default, used to check the others).</summary>
    public const double AffordableMultiplyAdds = 1e11;

    /// <summary>The solver <paramref name="options"/> asks for, with <see cref="PcaSolver.Auto"/> resolved for N × F data.</summary>
    public static PcaSolver Resolve(PcaOptions options, long rows, long features)
    {
        if (options.Solver != PcaSolver.Auto) return options.Solver;
        double exact = ExactMultiplyAdds(rows, features);
        if (exact <= AffordableMultiplyAdds) return PcaSolver.Exact;
        var (block, iterations) = (RandomizedPca.BlockWidth(options.LatentDim, options.Oversamples, rows, features), options.PowerIterations ?? RandomizedPca.TypicalPowerIterations);
        return 2 * RandomizedMultiplyAdds(rows, features, block, iterations) <= exact ? PcaSolver.Randomized : PcaSolver.Exact;
    }

    /// <summary>
    /// The exact fit: for N ≥ F the Gram matrix (¾·N·F², the symmetric half skipped) and a float64
    /// eigendecomposition on one thread, ~<see cref="DecompositionFactor"/>·F³ in the same units; for
    /// N &lt; F the thin SVD, ~<see cref="DecompositionFactor"/>·N²·F.
    /// </summary>
    public static double ExactMultiplyAdds(long rows, long features)
    {
        double n = rows, f = features;
        return n >= f ? 0.75 * n * f * f + DecompositionFactor * f * f * f : DecompositionFactor * n * n * f;
    }

    /// <summary>
    /// A float64 decomposition of an n × n matrix on one thread costs about as long as this many times
    /// n³ float32 multiply-adds of MKL's GEMM on two threads: eigh of 784 × 784 took 0.15 s, against
    /// ~1.2·10¹¹ multiply-adds a second.
    /// </summary>
    public const double DecompositionFactor = 40;

    /// <summary>
    /// Randomized block Krylov with blocks of b columns and q power iterations: 2q + 2 passes over the
    /// data, each N·F·b, then the Rayleigh–Ritz step on the m = b(q + 1) columns, at most min(N, F)
    /// (N·m² for the Gram matrix, ~<see cref="DecompositionFactor"/>·m³ for its eigendecomposition).
    /// </summary>
    public static double RandomizedMultiplyAdds(long rows, long features, int block, int iterations)
    {
        double n = rows, f = features, m = Math.Min((double)block * (iterations + 1), Math.Min(n, f));
        return (2.0 * iterations + 2) * n * f * block + n * m * m + DecompositionFactor * m * m * m;
    }
}
