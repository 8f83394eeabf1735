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
    /// <summary>Frees the fitted axes' tensors.</summary>
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

    /// <summary>The fit of the matrix <paramref name="x"/> [N, F] held in memory.</summary>
    public static PcaFitResult Run(Tensor x, PcaOptions options) => Run(new InMemoryRows(x), options);

    /// <summary>
    /// The fit of rows read in blocks (<see cref="DatasetRows"/> for a streamed dataset): every solver reads
    /// X through <paramref name="data"/> only, so a streamed X is never held whole (see each solver for what it does hold).
    /// </summary>
    public static PcaFitResult Run(IRowBlocks data, PcaOptions options)
    {
        long rows = data.Rows, features = data.Features;
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
            PcaSolver.Exact => PrincipalComponents.Compute(data, components),
            PcaSolver.Randomized => Randomized(data, options, figures),
            _ => Incremental(data, options, figures),
        };

        double exactCost = SolverChoice.ExactMultiplyAdds(rows, features);
        if (solver == PcaSolver.Exact)
            notes[PcaFitKeys.ExactCheck] = "not needed: the fit is exact";
        else if (options.ExactCheck ?? exactCost <= SolverChoice.AffordableMultiplyAdds)
        {
            var clock = Stopwatch.StartNew();
            using var exact = PrincipalComponents.Compute(data, components);
            foreach (var (key, value) in Compare(data, axes, exact, components)) figures[key] = value;
            figures[PcaFitKeys.ExactSeconds] = clock.Elapsed.TotalSeconds;
            notes[PcaFitKeys.ExactCheck] = "computed";
        }
        else
            notes[PcaFitKeys.ExactCheck] = string.Create(CultureInfo.InvariantCulture,
                $"skipped: the exact fit would cost ~{exactCost:0.0e0} multiply-adds; pass --exact-check true to compute it");
        return new PcaFitResult(axes, solver, figures, notes);
    }

    /// <summary>
    /// The leading <paramref name="components"/> principal axes of <paramref name="x"/> [N, F] in memory, by the solver
    /// <see cref="PcaSolver.Auto"/> takes and without the exact check: for pictures and maps of codes, where a full SVD
    /// of 2000 codes of a few thousand dimensions (a masked autoencoder's) took seconds.
    /// </summary>
    public static PrincipalAxes Leading(Tensor x, int components) =>
        Run(x, new PcaOptions { LatentDim = components, ExactCheck = false }).Axes;

    static string Name(PcaSolver solver) => solver.ToString().ToLowerInvariant();

    static PrincipalAxes Randomized(IRowBlocks data, PcaOptions options, Dictionary<string, double> figures)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data switch { InMemoryRows memory => memory.Matrix, DatasetRows rowsOfData => rowsOfData.Matrix, _ => null };
        if (x is not null && x.dtype != ScalarType.Float32) x = x.to(ScalarType.Float32);
        IRowBlocks rows = x is null ? data : new InMemoryRows(x);
        var (mean, sumOfSquares) = rows.Moments();
        if (!double.IsFinite(sumOfSquares) || !mean.isfinite().all().item<bool>())
            throw new UserInputException("the training data contain NaN or infinite values; remove or impute them before fitting pca");
        var centringMean = mean;
        double meanEnergy = rows.Rows * mean.to(ScalarType.Float64).square().sum().item<double>();
        if (meanEnergy > ImplicitCentringLimit * sumOfSquares)
        {
            // [N, F], centred: a copy in memory; a streamed X is centred block by block as it is read.
            rows = x is not null ? new InMemoryRows(x - mean) : new ShiftedRows(rows, mean);
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
        double total = sumOfSquares / Math.Max(1, rows.Rows - 1);
        return new PrincipalAxes(mean.MoveToOuterDisposeScope(), components.MoveToOuterDisposeScope(), spectrum, total);
    }

    /// <summary>scikit-learn's default batch, 5·F rows, kept between 2·K and 1000 so that a batch of wide rows stays small.</summary>
    public static int DefaultBatchSize(int components, long features) =>
        (int)Math.Max(2L * components, Math.Min(5 * features, 1000));

    static PrincipalAxes Incremental(IRowBlocks data, PcaOptions options, Dictionary<string, double> figures)
    {
        using var scope = NewDisposeScope();
        long rows = data.Rows;
        int batch = (int)Math.Min(rows, options.BatchSize ?? DefaultBatchSize(options.LatentDim, data.Features));
        using var fit = new IncrementalPca(options.LatentDim);
        // As scikit-learn's gen_batches(min_batch_size=K): a short last batch joins the one before.
        var lengths = new List<long>();
        for (long start = 0; start < rows; start += lengths[^1])
            lengths.Add(rows - start < batch + options.LatentDim ? rows - start : batch);
        foreach (var part in Rebatched(data, lengths))
        {
            if (!part.isfinite().all().item<bool>())
                throw new UserInputException("the training data contain NaN or infinite values; remove or impute them before fitting pca");
            fit.PartialFit(part);
        }
        figures[PcaFitKeys.BatchSize] = batch;
        figures[PcaFitKeys.Batches] = fit.Batches;
        var (mean, components, variances, total) = fit.Result();
        return new PrincipalAxes(mean.MoveToOuterDisposeScope(),
            PrincipalComponents.WithPositiveLargestLoading(components).MoveToOuterDisposeScope(), variances, total);
    }

    /// <summary>
    /// The rows of <paramref name="data"/> in consecutive batches of the given <paramref name="lengths"/>,
    /// whatever blocks it reads in: views where a batch lies inside one block, else the pieces joined
    /// (a batch's worth of copies at most). Each batch is valid until the enumeration moves on.
    /// </summary>
    static IEnumerable<Tensor> Rebatched(IRowBlocks data, IReadOnlyList<long> lengths)
    {
        var pending = new List<Tensor>();                                              // copies of the tail of earlier blocks
        long pendingRows = 0;
        int next = 0;
        foreach (var block in data.Blocks())
        {
            long offset = 0;
            while (next < lengths.Count)
            {
                long need = lengths[next] - pendingRows, available = block.shape[0] - offset;
                if (available < need)
                {
                    if (available > 0) pending.Add(block.narrow(0, offset, available).clone());
                    pendingRows += available;
                    break;
                }
                using var piece = block.narrow(0, offset, need);
                using var joined = pending.Count == 0 ? null : cat([.. pending, piece], 0);
                yield return joined ?? piece;
                foreach (var part in pending) part.Dispose();
                pending.Clear();
                pendingRows = 0;
                offset += need;
                next++;
            }
        }
        if (next != lengths.Count) throw new InvalidOperationException($"the blocks held fewer rows than the {data.Rows} announced");
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
