using System.Globalization;
using System.Text.Json;
using Latent.Evaluation.SampleQuality;
using Latent.Tests.Evaluation.Disentanglement;
using static TorchSharp.torch;

namespace Latent.Tests.Evaluation.SampleQuality;

/// <summary>The Fréchet distance and k-NN precision/recall on features with known answers, and against scipy.</summary>
public sealed class SampleQualityMetricsTests
{
    static Tensor Gaussian(int count, double[] mean, double[] deviation, long seed)
    {
        manual_seed(seed);
        return randn(count, mean.Length, dtype: ScalarType.Float64) * tensor(deviation) + tensor(mean);
    }

    [Fact]
    public void The_distance_between_diagonal_gaussians_is_the_closed_form()
    {
        // For commuting (diagonal) covariances tr(Σ₁Σ₂)^½ = Σ σ₁σ₂, so d² = ‖μ₁ − μ₂‖² + Σ (σ₁ − σ₂)².
        double[] mean1 = [0, 1, 2], mean2 = [1, 1, 0], sigma1 = [1, 2, 0.5], sigma2 = [3, 1, 0.5];
        using var c1 = diag(tensor(sigma1).square());
        using var c2 = diag(tensor(sigma2).square());
        double expected = mean1.Zip(mean2, (a, b) => (a - b) * (a - b)).Sum() + sigma1.Zip(sigma2, (a, b) => (a - b) * (a - b)).Sum();
        Assert.Equal(expected, FrechetDistance.FromMoments(tensor(mean1), c1, tensor(mean2), c2), 10);
    }

    [Fact]
    public void The_trace_of_the_square_root_matches_the_eigenvalues_of_the_non_symmetric_product()
    {
        manual_seed(3);
        using var a0 = randn(6, 6, dtype: ScalarType.Float64);
        using var b0 = randn(6, 6, dtype: ScalarType.Float64);
        using var a = a0.matmul(a0.t());
        using var b = b0.matmul(b0.t()) + 0.1 * eye(6, dtype: ScalarType.Float64);
        // AB is similar to a symmetric PSD matrix, so its eigenvalues are real and non-negative.
        using var eigenvalues = linalg.eigvals(a.matmul(b));
        double expected = eigenvalues.real.clamp_min(0).sqrt().sum().item<double>();
        Assert.Equal(expected, FrechetDistance.TraceOfSquareRootOfProduct(a, b), 9);
        // A singular covariance (rank 2 of 6) is no problem either.
        using var thin = randn(6, 2, dtype: ScalarType.Float64);
        double singular = FrechetDistance.TraceOfSquareRootOfProduct(thin.matmul(thin.t()), b);
        Assert.True(double.IsFinite(singular) && singular > 0);
    }

    [Fact]
    public void A_set_is_at_distance_zero_from_itself_and_the_distance_is_symmetric()
    {
        using var x = Gaussian(400, [0, 0, 0, 0], [1, 2, 3, 4], seed: 1);
        using var y = Gaussian(400, [1, 0, 0, 0], [1, 1, 1, 1], seed: 2);
        Assert.Equal(0, FrechetDistance.Compute(x, x), 8);
        Assert.Equal(FrechetDistance.Compute(x, y), FrechetDistance.Compute(y, x), 8);
        Assert.True(FrechetDistance.Compute(x, y) > 1);
    }

    [Fact]
    public void Precision_and_recall_are_one_for_the_same_set_and_zero_for_disjoint_ones()
    {
        using var x = Gaussian(300, [0, 0], [1, 1], seed: 1);
        Assert.Equal((1.0, 1.0), PrecisionRecall.Compute(x, x));
        using var far = Gaussian(300, [100, 100], [1, 1], seed: 2);
        Assert.Equal((0.0, 0.0), PrecisionRecall.Compute(x, far));
    }

    [Fact]
    public void A_generator_that_drops_a_mode_keeps_its_precision_and_loses_recall()
    {
        // Real data: two well separated clusters; samples: only the first.
        using var left = Gaussian(300, [0, 0], [1, 1], seed: 1);
        using var right = Gaussian(300, [20, 0], [1, 1], seed: 2);
        using var real = cat([left, right], 0);
        using var samples = Gaussian(300, [0, 0], [1, 1], seed: 3);
        var (precision, recall) = PrecisionRecall.Compute(real, samples);
        Assert.True(precision > 0.95, $"precision {precision}");
        Assert.InRange(recall, 0.4, 0.52);
    }

    [SkippableFact]
    public void The_distance_precision_and_recall_agree_with_scipy_and_numpy()
    {
        var (code, _) = DisentanglementReferenceTests.Run(["-c", "import scipy, numpy"]);
        Skip.If(code != 0, "Debian's python3-scipy is not installed (apt-get install python3-scipy)");
        // float32, as features are: the CSV then holds exactly the values Latent uses.
        using var real = Gaussian(500, [0, 0, 0, 0, 0], [1, 2, 1, 0.5, 1], seed: 4).to(ScalarType.Float32);
        using var generated = Gaussian(400, [0.5, 0, 0.2, 0, 0], [1.5, 1, 1, 0.5, 2], seed: 5).to(ScalarType.Float32);
        using var folder = new TempDirectory();
        WriteCsv(folder.File("real.csv"), real);
        WriteCsv(folder.File("generated.csv"), generated);
        var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../python/sample_quality_reference.py"));
        var (exit, text) = DisentanglementReferenceTests.Run([script, folder.File("real.csv"), folder.File("generated.csv")]);
        Assert.True(exit == 0, text);
        var reference = JsonDocument.Parse(text).RootElement;
        double fd = FrechetDistance.Compute(real, generated);
        Assert.Equal(reference.GetProperty("fd").GetDouble(), fd, 1e-8 * Math.Max(1, fd));
        var (precision, recall) = PrecisionRecall.Compute(real, generated);
        // Distances in float32 here, float64 there: a probe exactly on a ball's edge may differ, one in a few hundred.
        Assert.Equal(reference.GetProperty("precision").GetDouble(), precision, 2.0 / 400);
        Assert.Equal(reference.GetProperty("recall").GetDouble(), recall, 2.0 / 500);
    }

    static void WriteCsv(string path, Tensor rows)
    {
        var values = rows.data<float>().ToArray();
        int columns = (int)rows.shape[1];
        File.WriteAllLines(path, Enumerable.Range(0, (int)rows.shape[0])
            .Select(i => string.Join(",", values.Skip(i * columns).Take(columns).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
    }
}
