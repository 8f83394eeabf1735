using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Latent.Models.Pca;

/// <summary>What a PCA solver found, and what it reports about itself in fit.json.</summary>
/// <param name="Axes">Mean, components (signs fixed), the known spectrum and the total variance.</param>
/// <param name="Solver">The solver that ran.</param>
/// <param name="Figures">Solver figures (power iterations, batches, …) and, when computed, the accuracy against the exact optimum.</param>
/// <param name="Notes">Named words: solver, solver_requested, exact_check.</param>
public sealed record PcaFitResult(PrincipalAxes Axes, PcaSolver Solver, IReadOnlyDictionary<string, double> Figures,
                                  IReadOnlyDictionary<string, string> Notes) : IDisposable
{
    public void Dispose() => Axes.Dispose();
}

/// <summary>
/// Runs the solver <see cref="PcaOptions.Solver"/> names (auto resolved by <see cref="SolverChoice"/>)
/// on X [N, F], and, when asked or affordable, the exact one beside it to measure how close it came.
/// </summary>
public static class PcaFit
{
    /// <summary>Above this ratio of mean energy N‖μ‖² to ‖X̃‖²_F, X is centred explicitly (a copy) before the randomized solver, so that X̃P = XP − 1μᵀP does not cancel away float32 digits.</summary>
    const double ImplicitCentringLimit = 1e4;

    public static PcaFitResult Run(Tensor x, PcaOptions options)
    {
        long rows = x.shape[0], features = x.shape[1];
        int components = options.LatentDim;
        var solver = SolverChoice.Resolve(options, rows, features);
        var figures = new Dictionary<string, double>();
        var notes = new Dictionary<string, string>
        {
            [PcaFitKeys.Solver] = Name(solver),
            [PcaFitKeys.SolverRequested] = Name(options.Solver),
        };
        var axes = solver switch
        {
            PcaSolver.Exact => PrincipalComponents.Compute(x, components),
            PcaSolver.Randomized => Randomized(x, options, figures),
            _ => Incremental(x, options, figures),
        };

        double exactCost = SolverChoice.ExactMultiplyAdds(rows, features);
        if (solver == PcaSolver.Exact)
            notes[PcaFitKeys.ExactCheck] = "not needed: the fit is exact";
        else if (options.ExactCheck ?? exactCost <= SolverChoice.AffordableMultiplyAdds)
        {
            var clock = Stopwatch.StartNew();
            using var exact = PrincipalComponents.Compute(x, components);
            foreach (var (key, value) in Compare(new InMemoryRows(x), axes, exact, components)) figures[key] = value;
            figures[PcaFitKeys.ExactSeconds] = clock.Elapsed.TotalSeconds;
            notes[PcaFitKeys.ExactCheck] = "computed";
        }
        else
            notes[PcaFitKeys.ExactCheck] = string.Create(CultureInfo.InvariantCulture,
                $"skipped: the exact fit would cost ~{exactCost:0.0e0} multiply-adds; pass --exact-check true to compute it");
        return new PcaFitResult(axes, solver, figures, notes);
    }

    static string Name(PcaSolver solver) => solver.ToString().ToLowerInvariant();

    static PrincipalAxes Randomized(Tensor x, PcaOptions options, Dictionary<string, double> figures)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (x.dtype != ScalarType.Float32) x = x.to(ScalarType.Float32);
        IRowBlocks rows = new InMemoryRows(x);
        var (mean, sumOfSquares) = rows.Moments();
        if (!double.IsFinite(sumOfSquares) || !mean.isfinite().all().item<bool>())
            throw new UserInputException("the training data contain NaN or infinite values; remove or impute them before fitting pca");
        var centringMean = mean;
        double meanEnergy = x.shape[0] * mean.to(ScalarType.Float64).square().sum().item<double>();
        if (meanEnergy > ImplicitCentringLimit * sumOfSquares)
        {
            rows = new InMemoryRows(x - mean);                                         // [N, F], centred: a copy
            centringMean = zeros_like(mean);
        }
        using var result = RandomizedPca.Fit(rows, centringMean, options.LatentDim, options.PowerIterations, options.Oversamples, options.Seed);
        figures[PcaFitKeys.PowerIterations] = result.PowerIterations;
        figures[PcaFitKeys.Oversamples] = result.BlockWidth - options.LatentDim;
        figures[PcaFitKeys.KrylovDimension] = result.KrylovDimension;
        figures[PcaFitKeys.LastGain] = result.LastGain;
        // The first b Ritz values (the block width): beyond them the estimates are rougher.
        var spectrum = result.Variances.Take(result.BlockWidth).ToArray();
        var components = PrincipalComponents.WithPositiveLargestLoading(result.Components);
        double total = sumOfSquares / Math.Max(1, x.shape[0] - 1);
        return new PrincipalAxes(mean.MoveToOuterDisposeScope(), components.MoveToOuterDisposeScope(), spectrum, total);
    }

    /// <summary>scikit-learn's default batch, 5·F rows, kept between 2·K and 1000 so that a batch of wide rows stays small.</summary>
    public static int DefaultBatchSize(int components, long features) =>
        (int)Math.Max(2L * components, Math.Min(5 * features, 1000));

    static PrincipalAxes Incremental(Tensor x, PcaOptions options, Dictionary<string, double> figures)
    {
        using var scope = NewDisposeScope();
        long rows = x.shape[0];
        int batch = (int)Math.Min(rows, options.BatchSize ?? DefaultBatchSize(options.LatentDim, x.shape[1]));
        using var fit = new IncrementalPca(options.LatentDim);
        // As scikit-learn's gen_batches(min_batch_size=K): a short last batch joins the one before.
        for (long start = 0; start < rows;)
        {
            long length = rows - start < batch + options.LatentDim ? rows - start : batch;
            using var part = x.narrow(0, start, length);
            if (!part.isfinite().all().item<bool>())
                throw new UserInputException("the training data contain NaN or infinite values; remove or impute them before fitting pca");
            fit.PartialFit(part);
            start += length;
        }
        figures[PcaFitKeys.BatchSize] = batch;
        figures[PcaFitKeys.Batches] = fit.Batches;
        var (mean, components, variances, total) = fit.Result();
        return new PrincipalAxes(mean.MoveToOuterDisposeScope(),
            PrincipalComponents.WithPositiveLargestLoading(components).MoveToOuterDisposeScope(), variances, total);
    }

    /// <summary>
    /// The fitted axes against the exact ones: the shortfall of the variance along the fitted
    /// components (measured on the data, one pass) from the exact optimum, the largest relative error
    /// of the reported variances, and the largest principal angle between the two subspaces.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Compare(IRowBlocks rows, PrincipalAxes fitted, PrincipalAxes exact, int components)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var optimum = exact.Variances.Take(components).ToArray();
        double optimumSum = optimum.Sum();
        var projected = rows.Times(fitted.Mean, fitted.Components.to(ScalarType.Float32).T);     // X̃Wᵀ [N, K]
        double captured = projected.to(ScalarType.Float64).square().sum().item<double>() / Math.Max(1, rows.Rows - 1);
        double relative = fitted.Variances.Take(components).Zip(optimum, (f, e) => e > 0 ? Math.Abs(f - e) / e : 0).DefaultIfEmpty().Max();
        return new Dictionary<string, double>
        {
            [PcaFitKeys.ExactRatioTotal] = exact.TotalVariance > 0 ? optimumSum / exact.TotalVariance : 0,
            [PcaFitKeys.Shortfall] = optimumSum > 0 ? 1 - captured / optimumSum : 0,
            [PcaFitKeys.MaxRelativeError] = relative,
            [PcaFitKeys.AngleVsExact] = LargestAngleDegrees(fitted.Components, exact.Components),
        };
    }

    /// <summary>
    /// The largest principal angle between the row spaces of two orthonormal [K, F] matrices A and B:
    /// its sine is the largest singular value of B − (BAᵀ)A, the part of B outside span A (accurate for
    /// small angles, where an arccosine of cosines near 1 is not).
    /// </summary>
    public static double LargestAngleDegrees(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var (first, second) = (a.to(ScalarType.Float64), b.to(ScalarType.Float64));
        var outside = second - second.matmul(first.T).matmul(first);
        double sine = Math.Min(1, linalg.svdvals(outside).max().item<double>());
        return Math.Asin(sine) * 180 / Math.PI;
    }
}
