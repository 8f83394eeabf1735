namespace Latent.Models.Pca;

/// <summary>The keys <c>latent pca</c> writes to fit.json, each declared once with its meaning.</summary>
public static class PcaFitKeys
{
    /// <summary><c>solver</c>: the solver that ran: exact (eigendecomposition of the covariance, or thin SVD when N &lt; F), randomized (block Krylov) or incremental.</summary>
    public const string Solver = "solver";
    /// <summary><c>solver_requested</c>: the solver asked for (<see cref="PcaOptions.Solver"/>: auto, exact, randomized, incremental).</summary>
    public const string SolverRequested = "solver_requested";
    /// <summary><c>explained_variance_ratio_total</c>: fraction of the training data's total variance that the K components capture (variance along them / trace of the covariance).</summary>
    public const string ExplainedVarianceRatioTotal = "explained_variance_ratio_total";
    /// <summary><c>zero_variance_components</c>: components whose variance is below 10⁻⁶ of the first (not resolved by float32 data).</summary>
    public const string ZeroVarianceComponents = "zero_variance_components";
    /// <summary><c>eigenvalue_gap_ratio</c>: λ_K / λ_K+1: near 1 the K-dim subspace is ill-determined (Davis–Kahan); for the randomized solver λ_K+1 is its Ritz estimate.</summary>
    public const string EigenvalueGapRatio = "eigenvalue_gap_ratio";
    /// <summary><c>power_iterations</c>: randomized: power iterations run, q (2q + 2 passes over the data).</summary>
    public const string PowerIterations = "power_iterations";
    /// <summary><c>oversamples</c>: randomized: columns beyond K in each block, p.</summary>
    public const string Oversamples = "oversamples";
    /// <summary><c>krylov_dimension</c>: randomized: dimension of the Krylov space Rayleigh–Ritz ran on, (K + p)(q + 1) at most.</summary>
    public const string KrylovDimension = "krylov_dimension";
    /// <summary><c>explained_variance_last_gain</c>: randomized: relative increase of the variance captured by K components from the last block; the shortfall left is typically far smaller.</summary>
    public const string LastGain = "explained_variance_last_gain";
    /// <summary><c>batch_size</c>: incremental: rows per batch.</summary>
    public const string BatchSize = "batch_size";
    /// <summary><c>batches</c>: incremental: batches folded in.</summary>
    public const string Batches = "batches";
    /// <summary><c>exact_check</c>: whether the fit was compared with the exact optimum: computed, not needed (the fit is exact), or skipped with its cost.</summary>
    public const string ExactCheck = "exact_check";
    /// <summary><c>exact_explained_variance_ratio_total</c>: the exact optimum of explained_variance_ratio_total: Σ of the top-K eigenvalues of the covariance over its trace.</summary>
    public const string ExactRatioTotal = "exact_explained_variance_ratio_total";
    /// <summary><c>explained_variance_shortfall</c>: 1 − (variance along the fitted components) / (the exact optimum Σ_k≤K λ_k): 0 for the exact solver; ≤ 0.001 means within 0.1 %.</summary>
    public const string Shortfall = "explained_variance_shortfall";
    /// <summary><c>explained_variance_max_relative_error</c>: max over k of |fitted explained variance_k − λ_k| / λ_k against the exact eigenvalues.</summary>
    public const string MaxRelativeError = "explained_variance_max_relative_error";
    /// <summary><c>principal_angle_max_deg_vs_exact</c>: largest principal angle between the fitted and the exact K-dim subspaces, in degrees (large when λ_K ≈ λ_K+1, whatever the solver).</summary>
    public const string AngleVsExact = "principal_angle_max_deg_vs_exact";
    /// <summary><c>exact_check_seconds</c>: seconds the exact reference fit took (not part of fit_seconds).</summary>
    public const string ExactSeconds = "exact_check_seconds";

    /// <summary>Every key's one-line meaning, for the report's table and for readers of fit.json.</summary>
    static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [Solver] = "the solver that ran: exact (eigendecomposition of the covariance, or thin SVD when N < F), randomized (block Krylov) or incremental",
        [SolverRequested] = "the --solver asked for (auto, exact, randomized, incremental)",
        [ExplainedVarianceRatioTotal] = "fraction of the training data's total variance that the K components capture (variance along them / trace of the covariance)",
        [ZeroVarianceComponents] = "components whose variance is below 10⁻⁶ of the first (not resolved by float32 data)",
        [EigenvalueGapRatio] = "λ_K / λ_K+1: near 1 the K-dim subspace is ill-determined (Davis–Kahan); for the randomized solver λ_K+1 is its Ritz estimate",
        [PowerIterations] = "randomized: power iterations run, q (2q + 2 passes over the data)",
        [Oversamples] = "randomized: columns beyond K in each block, p",
        [KrylovDimension] = "randomized: dimension of the Krylov space Rayleigh–Ritz ran on, (K + p)(q + 1) at most",
        [LastGain] = "randomized: relative increase of the variance captured by K components from the last block; the shortfall left is typically far smaller",
        [BatchSize] = "incremental: rows per batch",
        [Batches] = "incremental: batches folded in",
        [ExactCheck] = "whether the fit was compared with the exact optimum: computed, not needed (the fit is exact), or skipped with its cost",
        [ExactRatioTotal] = "the exact optimum of explained_variance_ratio_total: Σ of the top-K eigenvalues of the covariance over its trace",
        [Shortfall] = "1 − (variance along the fitted components) / (the exact optimum Σ_k≤K λ_k): 0 for the exact solver; ≤ 0.001 means within 0.1 %",
        [MaxRelativeError] = "max over k of |fitted explained variance_k − λ_k| / λ_k against the exact eigenvalues",
        [AngleVsExact] = "largest principal angle between the fitted and the exact K-dim subspaces, in degrees (large when λ_K ≈ λ_K+1, whatever the solver)",
        [ExactSeconds] = "seconds the exact reference fit took (not part of fit_seconds)",
    };

    /// <summary>The keys as declarations, found with every other <see cref="MetricKey"/> (<see cref="MetricKeys.All"/>).</summary>
    public static readonly IReadOnlyList<MetricKey> Declarations = Descriptions.Select(pair => new MetricKey(pair.Key, pair.Value)).ToArray();
}
