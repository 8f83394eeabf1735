using Latent.Models.Sampling;
using Latent.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Tests.Models.Sampling;

/// <summary>EM for the ex-post latent prior: it recovers a known mixture, and the file it lives in is reused only for the same weights.</summary>
public sealed class GaussianMixtureTests
{
    static readonly double[][] TrueMeans = [[-5, 0], [5, 0], [0, 6]];
    static readonly double[] TrueWeights = [0.5, 0.3, 0.2];

    /// <summary>Draws from three well-separated 2-D Gaussians with different shapes.</summary>
    static Tensor ThreeClusters(int count, int seed)
    {
        manual_seed(seed);
        var factors = new[]
        {
            tensor(new double[] { 1.0, 0, 0.5, 0.6 }).reshape(2, 2),
            tensor(new double[] { 0.4, 0, -0.3, 1.2 }).reshape(2, 2),
            tensor(new double[] { 0.8, 0, 0, 0.3 }).reshape(2, 2),
        };
        var parts = new List<Tensor>();
        for (int k = 0; k < 3; k++)
        {
            int size = (int)(count * TrueWeights[k]);
            parts.Add(tensor(TrueMeans[k]) + randn(size, 2, dtype: ScalarType.Float64).matmul(factors[k].t()));
        }
        return cat(parts, 0);
    }

    [Fact]
    public void Em_recovers_the_weights_and_means_of_a_known_mixture()
    {
        using var scope = NewDisposeScope();
        var codes = ThreeClusters(3000, seed: 1);
        using var mixture = GaussianMixture.Fit(codes, 3, seed: 5);
        var order = mixture.Means[.., 0].argsort().data<long>().ToArray();      // by first coordinate: (-5,0), (0,6), (5,0)
        var expectedOrder = new[] { 0, 2, 1 };
        for (int i = 0; i < 3; i++)
        {
            int k = (int)order[i], truth = expectedOrder[i];
            Assert.Equal(TrueWeights[truth], mixture.Weights[k].item<double>(), 2);
            Assert.True(mixture.Means[k].allclose(tensor(TrueMeans[truth]), atol: 0.15), mixture.Means[k].npstr());
        }
        Assert.Equal(mixture.FittedLogLikelihood, mixture.LogLikelihood(codes).mean().item<double>(), 3);
    }

    [Fact]
    public void One_component_is_the_maximum_likelihood_gaussian()
    {
        using var scope = NewDisposeScope();
        var codes = ThreeClusters(600, seed: 2);
        using var gaussian = GaussianMixture.Fit(codes, 1, seed: 0);
        var mean = codes.mean([0]);
        var centred = codes - mean;
        var covariance = centred.t().matmul(centred) / codes.shape[0] + GaussianMixture.Ridge * eye(2, dtype: ScalarType.Float64);
        Assert.True(gaussian.Means[0].allclose(mean, atol: 1e-9));
        Assert.True(gaussian.Covariances[0].allclose(covariance, atol: 1e-9));
        using var mixture = GaussianMixture.Fit(codes, 3, seed: 0);
        Assert.True(mixture.FittedLogLikelihood > gaussian.FittedLogLikelihood + 0.5);
    }

    [Fact]
    public void Draws_follow_the_fitted_mixture_and_the_fit_is_seeded()
    {
        using var scope = NewDisposeScope();
        var codes = ThreeClusters(3000, seed: 3);
        using var mixture = GaussianMixture.Fit(codes, 3, seed: 7);
        using var again = GaussianMixture.Fit(codes, 3, seed: 7);
        Assert.True(mixture.Means.SameAs(again.Means) && mixture.Covariances.SameAs(again.Covariances));

        manual_seed(1);
        var draws = mixture.Sample(20_000).to(ScalarType.Float64);
        Assert.Equal(new long[] { 20_000, 2 }, draws.shape);
        Assert.True(draws.mean([0]).allclose(codes.mean([0]), atol: 0.1), $"{draws.mean([0]).npstr()} vs {codes.mean([0]).npstr()}");
        // Draws are as likely under the mixture as the data it was fitted to.
        Assert.Equal(mixture.FittedLogLikelihood, mixture.LogLikelihood(draws).mean().item<double>(), 1);
    }

    [Fact]
    public void The_saved_sampler_is_reused_for_the_same_weights_and_refitted_for_new_ones()
    {
        using var folder = new TempDirectory();
        var weights = folder.File("model.safetensors");
        File.WriteAllText(weights, "first weights");
        var path = folder.File(SamplerFile.FileName(SamplerKind.Gmm, 3));
        int fits = 0;
        Tensor Codes() { fits++; return ThreeClusters(900, seed: 4); }

        var (first, reused) = SamplerFile.LoadOrFit(path, weights, SamplerKind.Gmm, 3, Codes, seed: 1);
        Assert.False(reused);
        Assert.True(File.Exists(path));
        var (second, reusedNow) = SamplerFile.LoadOrFit(path, weights, SamplerKind.Gmm, 3, Codes, seed: 1);
        Assert.True(reusedNow);
        Assert.Equal(1, fits);
        Assert.True(second.Means.SameAs(first.Means));

        File.WriteAllText(weights, "retrained weights");
        var (third, reusedAfterRetraining) = SamplerFile.LoadOrFit(path, weights, SamplerKind.Gmm, 3, Codes, seed: 1);
        Assert.False(reusedAfterRetraining);
        Assert.Equal(2, fits);
        foreach (var mixture in new[] { first, second, third }) mixture.Dispose();
    }
}
