using Latent.Families;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

public sealed class PcaTests
{
    static readonly double[] Deviations = [5, 3, 2];

    /// <summary>Float64 eigenvalues (descending) and eigenvectors [F, F] of the sample covariance, independently of PrincipalComponents.</summary>
    static (double[] Values, Tensor Vectors) Reference(Dataset data)
    {
        var x = data.Features.flatten(1).to(ScalarType.Float64);
        var centred = x - x.mean([0], keepdim: true);
        var (values, vectors) = linalg.eigh(centred.T.matmul(centred) / (x.shape[0] - 1));
        return (values.flip(0).data<double>().ToArray(), vectors.flip(1));
    }

    [Fact]
    public void Pca_recovers_the_known_subspace_of_noisy_low_rank_data()
    {
        var truth = LowRankData.Generate(rows: 2000, features: 20, Deviations, noise: 0.05, seed: 1);
        using var pca = PcaModel.Fitted(truth.Data, components: 3);
        using var noGrad = no_grad();
        // Davis–Kahan: sin θ ≤ ‖perturbation‖ / gap, with a gap of σ₃² = 4 against noise of ~0.05²·√(F/N): far below a degree.
        Assert.All(PrincipalSubspace.AnglesDegrees(pca.Components.T, truth.Basis), angle => Assert.InRange(angle, 0, 0.2));
        var variances = pca.ExplainedVariance.data<double>().ToArray();
        for (int i = 0; i < 3; i++)
            Assert.InRange(variances[i], 0.85 * (Deviations[i] * Deviations[i]), 1.15 * (Deviations[i] * Deviations[i]));
    }

    [Theory]
    [InlineData(2000, 20)] // N ≥ F: eigendecomposition of the covariance
    [InlineData(30, 50)]   // N < F: thin SVD of the data
    public void The_fit_matches_a_float64_eigendecomposition_to_float_precision(int rows, int features)
    {
        var truth = LowRankData.Generate(rows, features, Deviations, noise: 0.3, seed: 2);
        int components = 5;
        using var pca = PcaModel.Fitted(truth.Data, components);
        var (values, vectors) = Reference(truth.Data);
        var fitted = pca.ExplainedVariance.data<double>().ToArray();
        for (int i = 0; i < components; i++)
            Assert.True(Math.Abs(fitted[i] - values[i]) <= 1e-5 * values[0], $"λ{i + 1}: {fitted[i]} against {values[i]}");
        double total = values.Sum();
        Assert.Equal(fitted.Sum() / total, pca.ExplainedVarianceRatio.data<float>().ToArray().Sum(), 5);

        // Each component is the reference eigenvector up to sign, with its largest loading positive.
        using var noGrad = no_grad();
        var components64 = pca.Components.to(ScalarType.Float64);
        for (int i = 0; i < components; i++)
        {
            double cosine = Math.Abs(components64[i].dot(vectors[.., i]).item<double>());
            Assert.True(cosine > 1 - 1e-6, $"component {i + 1}: |cos| = {cosine}");
            var row = components64[i];
            Assert.True(row[row.abs().argmax()].item<double>() > 0);
        }
        Assert.True(components64.matmul(components64.T).allclose(eye(components, dtype: ScalarType.Float64), atol: 1e-6));
    }

    [Fact]
    public void The_training_error_equals_the_sum_of_the_discarded_eigenvalues()
    {
        var truth = LowRankData.Generate(rows: 1000, features: 12, Deviations, noise: 0.5, seed: 3);
        var (values, _) = Reference(truth.Data);
        using var noGrad = no_grad();
        for (int components = 1; components <= 12; components += 3)
        {
            using var pca = PcaModel.Fitted(truth.Data, components);
            // Mean squared residual per row = (N − 1)/N · Σ_{i>K} λ_i: the Eckart–Young optimum.
            double perRow = Evaluator.ReconstructionError(pca, truth.Data) * 12;
            double expected = values.Skip(components).Sum() * 999 / 1000;
            Assert.True(Math.Abs(perRow - expected) <= 1e-5 * values.Sum(), $"K = {components}: {perRow} against {expected}");
        }
    }

    [Fact]
    public void Encoding_is_the_transform_and_decoding_its_inverse()
    {
        var truth = LowRankData.Generate(rows: 500, features: 8, Deviations, noise: 0.2, seed: 4);
        using var noGrad = no_grad();
        using var full = PcaModel.Fitted(truth.Data, components: 8);
        var x = truth.Data.Features;
        Assert.True(full.Decode(full.Encode(x)).allclose(x, atol: 1e-4));
        // The codes are the centred data in the principal basis: uncorrelated, with variances λ_k.
        var codes = full.Encode(x).to(ScalarType.Float64);
        var covariance = codes.T.matmul(codes - codes.mean([0], keepdim: true)) / (x.shape[0] - 1);
        var variances = full.ExplainedVariance;
        Assert.True(covariance.allclose(diag(variances), atol: 1e-4 * variances[0].item<double>()));
    }

    [Fact]
    public void Whitened_codes_have_unit_variance_and_decode_to_the_same_reconstruction()
    {
        var truth = LowRankData.Generate(rows: 1000, features: 10, Deviations, noise: 0.2, seed: 5);
        using var noGrad = no_grad();
        using var plain = PcaModel.Fitted(truth.Data, components: 4);
        using var white = PcaModel.Fitted(truth.Data, components: 4, whiten: true);
        var x = truth.Data.Features;
        var codes = white.Encode(x).to(ScalarType.Float64);
        var covariance = (codes - codes.mean([0], keepdim: true)).T.matmul(codes - codes.mean([0], keepdim: true)) / (x.shape[0] - 1);
        Assert.True(covariance.allclose(eye(4, dtype: ScalarType.Float64), atol: 1e-4));
        Assert.True(white.Reconstruct(x).allclose(plain.Reconstruct(x), atol: 1e-4));
    }

    [Fact]
    public void Constant_columns_give_zero_variance_components_reported_as_such_and_no_NaN()
    {
        // Three varying columns and three constant ones: the centred data have rank 3.
        var varying = LowRankData.Generate(rows: 400, features: 3, [2, 1, 0.5], noise: 0.1, seed: 6).Data.Features;
        var x = cat([varying, full(400, 3, 7.5f)], 1);
        var data = new Dataset(x, DataShape.Table(6));
        using var pca = new PcaModel(new PcaOptions { LatentDim = 5, Whiten = true }, data.Shape);
        var diagnosis = pca.Fit(data);
        pca.eval();
        Assert.Equal(2, diagnosis.Figures["zero_variance_components"]);
        Assert.Contains(diagnosis.Warnings, warning => warning.Contains("components 4–5 have zero variance"));
        using var noGrad = no_grad();
        var variances = pca.ExplainedVariance.data<double>().ToArray();
        Assert.True(variances[3] < 1e-6 && variances[4] < 1e-6);
        // Whitening leaves the zero-variance codes unscaled instead of dividing by zero.
        var codes = pca.Encode(x);
        Assert.True(codes.isfinite().all().item<bool>());
        Assert.True(pca.Decode(codes).allclose(x, atol: 1e-3)); // rank 3 ≤ 5 components: lossless
        // Unseen rows that vary in a constant column stay finite too.
        Assert.True(pca.Reconstruct(x + 1).isfinite().all().item<bool>());
    }

    [Fact]
    public void All_constant_data_reconstruct_as_the_mean_with_a_warning()
    {
        var data = new Dataset(full(50, 4, -2f), DataShape.Table(4));
        using var pca = new PcaModel(new PcaOptions { LatentDim = 2, Whiten = true }, data.Shape);
        var diagnosis = pca.Fit(data);
        Assert.Equal(2, diagnosis.Figures["zero_variance_components"]);
        Assert.Contains(diagnosis.Warnings, warning => warning.Contains("every feature is constant"));
        Assert.Equal(0, pca.ExplainedVarianceRatio.abs().sum().item<float>());
        using var noGrad = no_grad();
        Assert.True(pca.Reconstruct(data.Features).allclose(data.Features));
    }

    [Fact]
    public void Very_large_and_very_small_values_neither_overflow_nor_underflow()
    {
        var truth = LowRankData.Generate(rows: 300, features: 6, Deviations, noise: 0.1, seed: 7);
        using var reference = PcaModel.Fitted(truth.Data, components: 3);
        var expected = reference.ExplainedVarianceRatio.data<float>().ToArray();
        foreach (float scale in new[] { 1e25f, 1e-25f })
        {
            using var scaled = PcaModel.Fitted(new Dataset(truth.Data.Features * scale, truth.Data.Shape), components: 3);
            var ratios = scaled.ExplainedVarianceRatio.data<float>().ToArray();
            for (int i = 0; i < 3; i++) Assert.Equal(expected[i], ratios[i], 4);
            Assert.True(scaled.ExplainedVariance.isfinite().all().item<bool>());
        }
    }

    [Fact]
    public void More_components_than_features_or_rows_and_NaN_values_are_one_line_user_errors()
    {
        var shape = DataShape.Table(5);
        var tooMany = Assert.Throws<UserInputException>(() => new PcaOptions { LatentDim = 6 }.Validate(shape));
        Assert.Contains("LatentDim 6 is more than the 5 features", tooMany.Message);
        Assert.Throws<UserInputException>(() => new PcaOptions { LatentDim = 0 }.Validate(shape));
        Assert.Throws<UserInputException>(() => ModelCatalog.Find("pca").Validate(new PcaOptions { Arch = Latent.Models.Architecture.Conv }, DataShape.Image(1, 8, 8)));

        using var few = new PcaModel(new PcaOptions { LatentDim = 4 }, shape);
        var rows = Assert.Throws<UserInputException>(() => few.Fit(new Dataset(randn(3, 5), shape)));
        Assert.Contains("LatentDim 4 is more than the 3 training examples", rows.Message);

        var withNaN = randn(10, 5);
        withNaN[3, 2] = tensor(float.NaN);
        using var model = new PcaModel(new PcaOptions { LatentDim = 2 }, shape);
        Assert.Contains("NaN", Assert.Throws<UserInputException>(() => model.Fit(new Dataset(withNaN, shape))).Message);
        Assert.All(new[] { tooMany.Message, rows.Message }, message => Assert.DoesNotContain('\n', message));
    }

    [Fact]
    public void The_buffers_carry_scikit_learn_names_and_shapes()
    {
        using var pca = new PcaModel(new PcaOptions { LatentDim = 3 }, DataShape.Image(1, 4, 5));
        var keys = pca.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.shape);
        Assert.Equal(new long[] { 20 }, keys["mean"]);
        Assert.Equal(new long[] { 3, 20 }, keys["components"]);
        Assert.Equal(new long[] { 3 }, keys["explained_variance"]);
        Assert.Equal(new long[] { 3 }, keys["explained_variance_ratio"]);
        Assert.Equal(new long[] { 3 }, keys["singular_values"]);
        Assert.Equal(5, keys.Count);
    }
}
