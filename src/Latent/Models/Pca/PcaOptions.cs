using System.ComponentModel;
using Latent.Data;

namespace Latent.Models.Pca;

/// <summary>How <c>latent pca</c> finds the principal components (scikit-learn's <c>svd_solver</c>).</summary>
public enum PcaSolver
{
    /// <summary>Exact when it is affordable or not much dearer, randomized otherwise (<see cref="SolverChoice"/>).</summary>
    Auto,
    /// <summary>The covariance's eigendecomposition (N ≥ F) or the data's thin SVD (N &lt; F): the optimum itself.</summary>
    Exact,
    /// <summary>Randomized block Krylov (<see cref="RandomizedPca"/>): a few passes over the data, for K ≪ min(N, F).</summary>
    Randomized,
    /// <summary>Incremental PCA (Ross et al. 2008, scikit-learn's IncrementalPCA, <see cref="IncrementalPca"/>): one pass, in batches.</summary>
    Incremental,
}

/// <summary>
/// Options of closed-form PCA. The number of components K is <see cref="ModelOptions.LatentDim"/>
/// (<c>--components</c> on <c>latent pca</c>); the network options (<c>Hidden</c>, <c>Channels</c>)
/// do not apply.
/// </summary>
public sealed record PcaOptions : ModelOptions
{
    [Description("scale each component to unit variance in the latent space (z_k / √λ_k); decoding undoes it")]
    public bool Whiten { get; init; }

    [Description("how the components are found: auto (exact when affordable, else randomized), exact, randomized (block Krylov) or incremental (batches)")]
    public PcaSolver Solver { get; init; } = PcaSolver.Auto;

    [Description("randomized: power iterations, each one more Krylov block [default: until one adds less than 0.1% to the captured variance, 1 to 7]")]
    public int? PowerIterations { get; init; }

    [Description("randomized: columns beyond K in each block [default: 10]")]
    public int? Oversamples { get; init; }

    [Description("incremental: rows per batch [default: 5·F, between 2·K and 1000]")]
    public int? BatchSize { get; init; }

    [Description("compare the fit with the exact optimum in fit.json: true, false [default: when the exact fit costs at most 10^11 multiply-adds]")]
    public bool? ExactCheck { get; init; }

    [Description("seed of the randomized solver's Gaussian test matrix")]
    public int Seed { get; init; }

    /// <summary>Default oversampling, as scikit-learn's <c>n_oversamples</c>.</summary>
    public const int DefaultOversamples = 10;

    /// <summary>PCA works on the flattened example: no network, no architecture.</summary>
    public override bool Uses(string property) => property is not (nameof(Hidden) or nameof(Channels) or nameof(Arch)) && base.Uses(property);

    public override void Validate(DataShape shape)
    {
        if (LatentDim <= 0)
            throw new UserInputException($"--components {LatentDim} must be positive; pass the number of principal components, e.g. --components 32");
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"pca needs real-valued features but the data are {shape}; pass images or a csv:FILE table");
        if (LatentDim > shape.Size)
            throw new UserInputException(
                $"--components {LatentDim} is more than the {shape.Size} features of {shape}; pass --components {shape.Size} or fewer");
        if (PowerIterations is < 0 or > 100)
            throw new UserInputException($"--power-iterations {PowerIterations} is out of range; pass 0 to 100, e.g. 3, or leave it out");
        if (Oversamples is < 0)
            throw new UserInputException($"--oversamples {Oversamples} must be 0 or more; pass e.g. 10");
        if (BatchSize is int batch && batch < LatentDim)
            throw new UserInputException($"--batch-size {batch} is smaller than --components {LatentDim}; each batch needs at least K rows, pass e.g. {Math.Max(1000, 2 * LatentDim)}");
        if (Solver is PcaSolver.Exact or PcaSolver.Incremental && (PowerIterations is not null || Oversamples is not null))
            throw new UserInputException($"--{(PowerIterations is not null ? "power-iterations" : "oversamples")} applies to --solver randomized (or auto), not {Solver.ToString().ToLowerInvariant()}; drop it");
        if (Solver != PcaSolver.Incremental && BatchSize is not null)
            throw new UserInputException($"--batch-size applies to --solver incremental, not {Solver.ToString().ToLowerInvariant()}; drop it or pass --solver incremental");
    }
}
