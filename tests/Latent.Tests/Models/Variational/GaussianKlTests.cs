using TorchSharp;
using Latent.Models.Variational;
using static TorchSharp.torch;

namespace Latent.Tests.Models.Variational;

/// <summary>The closed-form KL divergences against each other and against Monte Carlo estimates.</summary>
public sealed class GaussianKlTests
{
    const int Dimension = 4;

    /// <summary>Random SPD matrices [B, n, n]: A·Aᵀ + 0.3·I.</summary>
    static Tensor RandomCovariance(int batch, int n)
    {
        var a = randn(batch, n, n, dtype: ScalarType.Float64) * 0.7;
        return a.matmul(a.transpose(1, 2)) + 0.3 * eye(n, dtype: ScalarType.Float64);
    }

    /// <summary>A random lower-triangular factor with a positive diagonal [B, n, n].</summary>
    static Tensor RandomCholesky(int batch, int n) =>
        (randn(batch, n, n, dtype: ScalarType.Float64) * 0.5).tril(-1) + (randn(batch, n, dtype: ScalarType.Float64) * 0.5).exp().diag_embed();

    /// <summary>log N(z; μ, Σ) written out directly, with an explicit inverse and determinant (an independent route).</summary>
    static Tensor LogDensity(Tensor z, Tensor mean, Tensor covariance)
    {
        long n = mean.shape[^1];
        var difference = z - mean;                                                        // [S, n]
        var quadratic = difference.matmul(covariance.inverse()).mul(difference).sum(1);
        return -0.5 * (n * Math.Log(2 * Math.PI) + covariance.det().log() + quadratic);
    }

    [Fact]
    public void The_general_formula_against_the_standard_normal_equals_the_diagonal_special_case()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var mean = randn(6, Dimension, dtype: ScalarType.Float64);
        var logVariance = randn(6, Dimension, dtype: ScalarType.Float64);
        var general = GaussianKl.General(mean, logVariance.exp().diag_embed(), zeros_like(mean), eye(Dimension, dtype: ScalarType.Float64).expand(6, -1, -1));
        var diagonal = GaussianKl.DiagonalToStandard(mean, logVariance).sum(1);
        Assert.True(general.allclose(diagonal, rtol: 1e-10, atol: 1e-10), $"{general.npstr()} vs {diagonal.npstr()}");
    }

    [Fact]
    public void The_cholesky_special_case_sums_to_the_general_formula_and_each_term_is_non_negative()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var mean = randn(6, Dimension, dtype: ScalarType.Float64);
        var cholesky = RandomCholesky(6, Dimension);
        var perDimension = GaussianKl.CholeskyToStandard(mean, cholesky);
        var general = GaussianKl.General(mean, cholesky.matmul(cholesky.transpose(1, 2)), zeros_like(mean),
                                         eye(Dimension, dtype: ScalarType.Float64).expand(6, -1, -1));
        Assert.True(perDimension.sum(1).allclose(general, rtol: 1e-10, atol: 1e-10));
        Assert.True(perDimension.ge(0).all().item<bool>());
    }

    [Fact]
    public void The_general_formula_matches_a_Monte_Carlo_estimate_between_two_full_covariance_Gaussians()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var meanP = randn(1, Dimension, dtype: ScalarType.Float64);
        var meanQ = randn(1, Dimension, dtype: ScalarType.Float64);
        var covarianceP = RandomCovariance(1, Dimension);
        var covarianceQ = RandomCovariance(1, Dimension);
        double exact = GaussianKl.General(meanP, covarianceP, meanQ, covarianceQ).item<double>();

        // KL(p ‖ q) = E_p[log p(z) − log q(z)], estimated from 200 000 draws of p.
        const int draws = 200_000;
        var z = meanP + randn(draws, Dimension, dtype: ScalarType.Float64).matmul(linalg.cholesky(covarianceP[0]).t());
        var ratio = LogDensity(z, meanP, covarianceP[0]) - LogDensity(z, meanQ, covarianceQ[0]);
        double estimate = ratio.mean().item<double>(), standardError = ratio.std().item<double>() / Math.Sqrt(draws);
        Assert.True(exact > 0.1, $"the test needs distinct distributions (KL {exact})");
        Assert.True(Math.Abs(estimate - exact) < 4 * standardError, $"closed form {exact}, Monte Carlo {estimate} ± {standardError}");
    }

    [Fact]
    public void The_diagonal_special_case_matches_a_Monte_Carlo_estimate_per_dimension()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var mean = randn(1, Dimension, dtype: ScalarType.Float64);
        var logVariance = randn(1, Dimension, dtype: ScalarType.Float64);
        var exact = GaussianKl.DiagonalToStandard(mean, logVariance)[0];

        const int draws = 200_000;
        var noise = randn(draws, Dimension, dtype: ScalarType.Float64);
        var z = mean + (0.5 * logVariance).exp() * noise;
        // per dimension: log N(z; μ, σ²) − log N(z; 0, 1) = −½[log σ² + ε²] + ½ z²
        var ratio = -0.5 * (logVariance + noise.square()) + 0.5 * z.square();
        var estimate = ratio.mean([0]);
        var standardError = ratio.std([0L]) / Math.Sqrt(draws);
        Assert.True((estimate - exact).abs().le(4 * standardError).all().item<bool>(),
            $"closed form {exact.npstr()}, Monte Carlo {estimate.npstr()} ± {standardError.npstr()}");
    }

    [Fact]
    public void The_divergence_of_a_distribution_from_itself_is_zero()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var mean = randn(3, Dimension, dtype: ScalarType.Float64);
        var covariance = RandomCovariance(3, Dimension);
        Assert.True(GaussianKl.General(mean, covariance, mean, covariance).abs().max().item<double>() < 1e-10);
        Assert.True(GaussianKl.DiagonalToStandard(zeros(2, 3), zeros(2, 3)).abs().max().item<float>() == 0);
    }
}
