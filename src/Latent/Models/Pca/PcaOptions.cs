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
    /// <summary>
    /// Scale each code to unit variance, z_k / √λ_k (scikit-learn's <c>whiten</c>); decoding multiplies back, so reconstructions
    /// are the same. Off by default: unwhitened codes keep the variance each direction carries.
    /// </summary>
    [Description("scale each component to unit variance in the latent space (z_k / √λ_k); decoding undoes it")]
    public bool Whiten { get; init; }

    /// <summary>
    /// How the components are found (scikit-learn's <c>svd_solver</c>); <see cref="PcaSolver.Auto"/> by default, which is exact whenever
    /// that is affordable, so the default fit is the optimum itself.
    /// </summary>
    [Description("how the components are found: auto (exact when affordable, else randomized), exact, randomized (block Krylov) or incremental (batches)")]
    public PcaSolver Solver { get; init; } = PcaSolver.Auto;

    /// <summary>
    /// Randomized solver: power iterations q, each one more Krylov block (2 more passes over the data). Null (the default) runs
    /// until a block adds less than 0.1% to the captured variance, from 1 to 7 iterations.
    /// </summary>
    [Description("randomized: power iterations, each one more Krylov block [default: until one adds less than 0.1% to the captured variance, 1 to 7]")]
    public int? PowerIterations { get; init; }

    /// <summary>
    /// Randomized solver: columns p beyond K in each block (scikit-learn's <c>n_oversamples</c>); null means
    /// <see cref="DefaultOversamples"/>.
    /// </summary>
    [Description("randomized: columns beyond K in each block [default: 10]")]
    public int? Oversamples { get; init; }

    /// <summary>
    /// Incremental solver: rows per batch, at least K. Null means 5·F, clamped between 2·K and 1000 (scikit-learn's default is 5·F).
    /// </summary>
    [Description("incremental: rows per batch [default: 5·F, between 2·K and 1000]")]
    public int? BatchSize { get; init; }

    /// <summary>
    /// Also fit exactly and write the shortfall and the largest principal angle against that optimum into fit.json. Null (the
    /// default) checks when the exact fit costs at most 10¹¹ multiply-adds (<see cref="SolverChoice.AffordableMultiplyAdds"/>).
    /// </summary>
    [Description("compare the fit with the exact optimum in fit.json: true, false [default: when the exact fit costs at most 10^11 multiply-adds]")]
    public bool? ExactCheck { get; init; }

    /// <summary>Seed of the randomized solver's Gaussian test matrix, so that a randomized fit is reproducible.</summary>
    [Description("seed of the randomized solver's Gaussian test matrix")]
    public int Seed { get; init; }

    /// <summary>Default oversampling, as scikit-learn's <c>n_oversamples</c>.</summary>
    public const int DefaultOversamples = 10;

    /// <summary>PCA works on the flattened example: no network, no architecture.</summary>
    public override bool Uses(string property) => property is not (nameof(Hidden) or nameof(Channels) or nameof(Arch)) && base.Uses(property);

    /// <summary>
    /// Throws a <see cref="UserInputException"/> when the options cannot fit data of this shape: K must lie in [1, F],
    /// the data must be real-valued, and each solver's own options go only with that solver.
    /// </summary>
    public override void Validate(DataShape shape)
    {
        if (LatentDim <= 0)
            throw new UserInputException($"{nameof(LatentDim)} {LatentDim} must be positive; pass the number of principal components, e.g. {nameof(LatentDim)} 32", nameof(LatentDim));
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"pca needs real-valued features but the data are {shape}; pass images or a csv:FILE table");
        if (LatentDim > shape.Size)
            throw new UserInputException(
                $"{nameof(LatentDim)} {LatentDim} is more than the {shape.Size} features of {shape}; pass {nameof(LatentDim)} {shape.Size} or fewer", nameof(LatentDim));
        if (PowerIterations is < 0 or > 100)
            throw new UserInputException($"{nameof(PowerIterations)} {PowerIterations} is out of range; pass 0 to 100, e.g. 3, or leave it out", nameof(PowerIterations));
        if (Oversamples is < 0)
            throw new UserInputException($"{nameof(Oversamples)} {Oversamples} must be 0 or more; pass e.g. 10", nameof(Oversamples));
        if (BatchSize is int batch && batch < LatentDim)
            throw new UserInputException($"{nameof(BatchSize)} {batch} is smaller than {nameof(LatentDim)} {LatentDim}; each batch needs at least K rows, pass e.g. {Math.Max(1000, 2 * LatentDim)}",
                nameof(BatchSize), nameof(LatentDim));
        if (Solver is PcaSolver.Exact or PcaSolver.Incremental && (PowerIterations is not null || Oversamples is not null))
        {
            string given = PowerIterations is not null ? nameof(PowerIterations) : nameof(Oversamples);
            throw new UserInputException($"{given} applies to {nameof(Solver)} randomized (or auto), not {OptionNames.Kebab(Solver)}; drop it", given, nameof(Solver));
        }
        if (Solver != PcaSolver.Incremental && BatchSize is not null)
            throw new UserInputException($"{nameof(BatchSize)} applies to {nameof(Solver)} incremental, not {OptionNames.Kebab(Solver)}; drop it or pass {nameof(Solver)} incremental",
                nameof(BatchSize), nameof(Solver));
    }
}
