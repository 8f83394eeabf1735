using System.Globalization;
using Latent.Data;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

/// <summary>The randomized and incremental PCA solvers against the exact one, and the auto policy.</summary>
public sealed class PcaSolverTests
{
    /// <summary>Rows with a slowly decaying spectrum, λ_i ∝ 1/i (the hard case for randomized solvers): [N, F] float32.</summary>
    static Tensor SlowSpectrum(int rows, int features, long seed)
    {
        using var generator = new Generator((ulong)seed);
        var basis = linalg.qr(randn([features, features], ScalarType.Float64, generator: generator)).Q;
        var deviations = arange(1, features + 1, ScalarType.Float64).rsqrt();
        var scores = randn([rows, features], ScalarType.Float64, generator: generator) * deviations;
        return (scores.matmul(basis.T) + 0.5).to(ScalarType.Float32);
    }

    static PcaFitResult Fit(Tensor x, PcaOptions options) => PcaFit.Run(x, options);

    static IReadOnlyDictionary<string, double> AgainstExact(Tensor x, PcaFitResult fit, int components)
    {
        using var exact = PrincipalComponents.Compute(x, components);
        return PcaFit.Compare(new InMemoryRows(x), fit.Axes, exact, components);
    }

    [Fact]
    public void Randomized_finds_the_exact_subspace_of_noisy_low_rank_data()
    {
        var truth = LowRankData.Generate(rows: 2000, features: 200, [5, 3, 2, 1.5, 1], noise: 0.1, seed: 1);
        using var fit = Fit(truth.Data.Features, new PcaOptions { LatentDim = 5, Solver = PcaSolver.Randomized });
        Assert.Equal(PcaSolver.Randomized, fit.Solver);
        var accuracy = AgainstExact(truth.Data.Features, fit, 5);
        Assert.InRange(accuracy[PcaFitKeys.AngleVsExact], 0, 0.01);
        Assert.InRange(accuracy[PcaFitKeys.MaxRelativeError], 0, 1e-5);
        Assert.InRange(Math.Abs(accuracy[PcaFitKeys.Shortfall]), 0, 1e-6);
        var rows = fit.Axes.Components.to(ScalarType.Float64);
        Assert.True(rows.matmul(rows.T).allclose(eye(5, dtype: ScalarType.Float64), atol: 1e-5));
    }

    [Fact]
    public void On_a_slowly_decaying_spectrum_the_default_randomized_fit_is_within_a_thousandth_of_the_optimum()
    {
        var x = SlowSpectrum(rows: 1500, features: 400, seed: 2);
        using var fit = Fit(x, new PcaOptions { LatentDim = 20, Solver = PcaSolver.Randomized });
        var shortfall = AgainstExact(x, fit, 20)[PcaFitKeys.Shortfall];
        Assert.InRange(shortfall, -1e-6, 1e-3);
        Assert.InRange(fit.Figures[PcaFitKeys.PowerIterations], RandomizedPca.MinPowerIterations, RandomizedPca.MaxPowerIterations);
        Assert.True(fit.Figures[PcaFitKeys.LastGain] < RandomizedPca.GainTolerance || fit.Figures[PcaFitKeys.PowerIterations] == RandomizedPca.MaxPowerIterations);
    }

    [Fact]
    public void More_power_iterations_leave_less_of_the_optimum_behind()
    {
        var x = SlowSpectrum(rows: 1500, features: 400, seed: 3);
        var shortfalls = new[] { 0, 1, 2, 4 }.Select(q =>
        {
            using var fit = Fit(x, new PcaOptions { LatentDim = 20, Solver = PcaSolver.Randomized, PowerIterations = q });
            Assert.Equal(q, fit.Figures[PcaFitKeys.PowerIterations]);
            Assert.Equal(30 * (q + 1), fit.Figures[PcaFitKeys.KrylovDimension]);
            return AgainstExact(x, fit, 20)[PcaFitKeys.Shortfall];
        }).ToArray();
        for (int i = 1; i < shortfalls.Length; i++) Assert.True(shortfalls[i] < shortfalls[i - 1], string.Join(", ", shortfalls));
        Assert.True(shortfalls[0] > 1e-2, $"one block alone is far off ({shortfalls[0]:G3})");
    }

    [Fact]
    public void Randomized_reads_data_in_blocks_as_well_as_whole()
    {
        var x = SlowSpectrum(rows: 900, features: 120, seed: 4);
        using var noGrad = no_grad();
        var (mean, squares) = new InMemoryRows(x).Moments();
        var blocks = new SplitRows(x, 250);
        var (blockMean, blockSquares) = blocks.Moments();
        Assert.True(blockMean.allclose(mean, atol: 1e-6));
        Assert.Equal(squares, blockSquares, tolerance: 1e-6 * squares);         // per-column float32 reductions, summed in float64
        using var whole = RandomizedPca.Fit(new InMemoryRows(x), mean, 10, powerIterations: 2, oversamples: null, seed: 5);
        using var split = RandomizedPca.Fit(blocks, mean, 10, powerIterations: 2, oversamples: null, seed: 5);
        Assert.InRange(PcaFit.LargestAngleDegrees(whole.Components, split.Components), 0, 1e-2);
        Assert.Equal(whole.Variances[9], split.Variances[9], 4);
    }

    /// <summary>Rows in blocks of <paramref name="size"/>, as a streaming reader would hand them over.</summary>
    sealed class SplitRows(Tensor x, long size) : IRowBlocks
    {
        public long Rows => x.shape[0];
        public long Features => x.shape[1];
        public IEnumerable<Tensor> Blocks()
        {
            for (long start = 0; start < Rows; start += size)
            {
                using var block = x.narrow(0, start, Math.Min(size, Rows - start)).clone();
                yield return block;
            }
        }
    }

    [Fact]
    public void A_large_offset_is_centred_before_the_randomized_products()
    {
        // Columns around 10⁴ with unit spread: X̃P = XP − 1μᵀP would cancel float32 digits away.
        var truth = LowRankData.Generate(rows: 1000, features: 50, [3, 2, 1], noise: 0.1, seed: 6);
        var x = truth.Data.Features + 1e4f;
        using var fit = Fit(x, new PcaOptions { LatentDim = 3, Solver = PcaSolver.Randomized });
        var accuracy = AgainstExact(x, fit, 3);
        Assert.InRange(accuracy[PcaFitKeys.AngleVsExact], 0, 0.1);
        Assert.InRange(accuracy[PcaFitKeys.MaxRelativeError], 0, 1e-3);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(173)]
    public void Incremental_on_batches_equals_exact_on_the_whole_for_data_of_rank_K(int batchSize)
    {
        var truth = LowRankData.Generate(rows: 1000, features: 30, [5, 3, 2, 1], noise: 0, seed: 7);
        var x = truth.Data.Features;
        using var fit = Fit(x, new PcaOptions { LatentDim = 4, Solver = PcaSolver.Incremental, BatchSize = batchSize });
        using var exact = PrincipalComponents.Compute(x, 4);
        Assert.InRange(PcaFit.LargestAngleDegrees(fit.Axes.Components, exact.Components), 0, 1e-3);
        for (int k = 0; k < 4; k++) Assert.Equal(1, fit.Axes.Variances[k] / exact.Variances[k], 5);
        Assert.True(fit.Axes.Mean.allclose(exact.Mean, atol: 1e-5));
        Assert.Equal(exact.TotalVariance, fit.Axes.TotalVariance, 4);
        // Components with the same signs as the exact fit's, so that codes agree too.
        Assert.True(fit.Axes.Components.to(ScalarType.Float64).allclose(exact.Components.to(ScalarType.Float64), atol: 1e-4));
        Assert.Equal(Math.Ceiling(1000.0 / batchSize) - (1000 % batchSize is > 0 and < 4 ? 1 : 0), fit.Figures[PcaFitKeys.Batches]);
    }

    [Fact]
    public void Incremental_keeps_the_exact_mean_and_total_variance_of_any_data()
    {
        var x = SlowSpectrum(rows: 700, features: 40, seed: 8);
        using var fit = Fit(x, new PcaOptions { LatentDim = 5, Solver = PcaSolver.Incremental, BatchSize = 64 });
        var x64 = x.to(ScalarType.Float64);
        var mean = x64.mean([0]);
        double total = (x64 - mean).square().sum().item<double>() / 699;
        Assert.True(fit.Axes.Mean.to(ScalarType.Float64).allclose(mean, atol: 1e-6));
        Assert.Equal(total, fit.Axes.TotalVariance, 8);
        // On full-rank data each truncation loses a little, but the fit stays close to the optimum.
        Assert.InRange(AgainstExact(x, fit, 5)[PcaFitKeys.Shortfall], -1e-6, 0.05);
    }

    [Theory]
    [InlineData(54000, 784, 32, PcaSolver.Exact)]      // Fashion-MNIST: affordable, exact as before
    [InlineData(18000, 1024, 32, PcaSolver.Exact)]     // the default shapes
    [InlineData(50000, 12288, 64, PcaSolver.Randomized)]
    [InlineData(50000, 12288, 8000, PcaSolver.Exact)]  // K not ≪ min(N, F): randomized would not be twice as cheap
    [InlineData(5000, 12288, 64, PcaSolver.Randomized)]
    public void Auto_takes_exact_when_affordable_and_randomized_when_K_is_far_below_min_N_F(int rows, int features, int components, PcaSolver expected)
    {
        Assert.Equal(expected, SolverChoice.Resolve(new PcaOptions { LatentDim = components }, rows, features));
        Assert.Equal(PcaSolver.Incremental, SolverChoice.Resolve(new PcaOptions { LatentDim = components, Solver = PcaSolver.Incremental }, rows, features));
    }

    [Theory]
    [InlineData(PcaSolver.Randomized, null, 100, "BatchSize applies to Solver incremental")]
    [InlineData(PcaSolver.Exact, 3, null, "PowerIterations applies to Solver randomized")]
    [InlineData(PcaSolver.Incremental, null, 3, "smaller than LatentDim")]
    public void Options_of_another_solver_are_refused(PcaSolver solver, int? iterations, int? batch, string expected)
    {
        var options = new PcaOptions { LatentDim = 8, Solver = solver, PowerIterations = iterations, BatchSize = batch };
        var error = Assert.Throws<UserInputException>(() => options.Validate(DataShape.Table(20)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_exact_check_is_skipped_when_costly_unless_asked_for()
    {
        var x = SlowSpectrum(rows: 300, features: 60, seed: 9);
        using var asked = Fit(x, new PcaOptions { LatentDim = 4, Solver = PcaSolver.Randomized, ExactCheck = true });
        Assert.Equal("computed", asked.Notes[PcaFitKeys.ExactCheck]);
        Assert.True(asked.Figures.ContainsKey(PcaFitKeys.Shortfall));
        using var refused = Fit(x, new PcaOptions { LatentDim = 4, Solver = PcaSolver.Randomized, ExactCheck = false });
        Assert.StartsWith("skipped", refused.Notes[PcaFitKeys.ExactCheck]);
        Assert.False(refused.Figures.ContainsKey(PcaFitKeys.Shortfall));
        using var exact = Fit(x, new PcaOptions { LatentDim = 4 });
        Assert.Equal(("exact", "auto"), (exact.Notes[PcaFitKeys.Solver], exact.Notes[PcaFitKeys.SolverRequested]));
    }

    [Theory]
    [InlineData("randomized")]
    [InlineData("incremental")]
    public void Latent_pca_records_the_solver_and_its_accuracy_in_fit_json(string solver)
    {
        using var folder = new TempDirectory();
        var run = folder.File("pca");
        var result = Cli.CliRunner.Run("pca", "--data", "shapes:16:rgb", "--examples", "600", "--components", "8", "--solver", solver,
            "--exact-check", "true", "--out", run);
        Assert.True(result.Code == 0, result.Error);
        Assert.Contains(solver == "randomized" ? "randomized block Krylov" : "incremental, ", result.Output);
        Assert.Contains("against the exact fit", result.Output);
        var fit = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "fit.json")))!;
        Assert.Equal(solver, fit[PcaFitKeys.Solver]!.GetValue<string>());
        Assert.Equal("computed", fit[PcaFitKeys.ExactCheck]!.GetValue<string>());
        Assert.InRange(fit[PcaFitKeys.Shortfall]!.GetValue<double>(), -1e-6, solver == "randomized" ? 1e-4 : 1e-2);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")))!;
        Assert.Equal(solver, manifest["model"]!["solver"]!.GetValue<string>());
        Assert.Equal(0, Cli.CliRunner.Run("eval", "--run", run, "--quiet").Code);
    }

    const string Python = "/usr/bin/python3";

    /// <summary>Latent's incremental solver against scikit-learn's IncrementalPCA on the same rows and batches.</summary>
    [SkippableFact]
    public void Incremental_agrees_with_scikit_learns_IncrementalPCA()
    {
        Skip.IfNot(File.Exists(Python) && RunPython("-c", "import sklearn").Code == 0, "needs Debian's python3-sklearn (apt-get install python3-sklearn)");
        var x = SlowSpectrum(rows: 600, features: 40, seed: 10);
        using var folder = new TempDirectory();
        var values = x.to(ScalarType.Float64).data<double>().ToArray();
        File.WriteAllLines(folder.File("x.csv"), Enumerable.Range(0, 600).Select(row =>
            string.Join(',', values.Skip(row * 40).Take(40).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
        const string script = """
            import sys, numpy as np
            from sklearn.decomposition import IncrementalPCA
            x = np.loadtxt(sys.argv[1], delimiter=",")
            fit = IncrementalPCA(n_components=6, batch_size=100).fit(x)
            np.savetxt(sys.argv[2], np.vstack([np.pad(fit.explained_variance_, (0, 34)), fit.components_]), delimiter=",")
            """;
        var (code, output) = RunPython("-c", script, folder.File("x.csv"), folder.File("out.csv"));
        Assert.True(code == 0, output);
        var reference = File.ReadAllLines(folder.File("out.csv")).Select(line => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();

        using var fit = Fit(x, new PcaOptions { LatentDim = 6, Solver = PcaSolver.Incremental, BatchSize = 100 });
        for (int k = 0; k < 6; k++) Assert.Equal(1, fit.Axes.Variances[k] / reference[0][k], 4);
        var theirs = tensor(reference.Skip(1).SelectMany(row => row).ToArray(), [6, 40]);
        Assert.InRange(PcaFit.LargestAngleDegrees(fit.Axes.Components, theirs), 0, 0.05);
    }

    static (int Code, string Output) RunPython(params string[] args)
    {
        return Repository.Start(Python, Directory.GetCurrentDirectory(), [.. args]);
    }
}
