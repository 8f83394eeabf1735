using Latent.Models.VectorQuantized;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class CodePriorTests
{
    [Fact]
    public void The_empirical_prior_draws_each_position_from_its_own_code_frequencies()
    {
        // Two positions, one head, K = 4: position 0 always holds code 2, position 1 codes 0 and 3 equally.
        using var train = tensor(new long[] { 2, 0, 2, 3, 2, 0, 2, 3 }).reshape(4, 2, 1);
        using var prior = new CodePrior(positions: 2, heads: 1, codebookSize: 4, width: 8, layers: 1, autoregressive: false);
        Stages.Fit(prior, train, train, epochs: 0, seed: 1);
        Assert.False(prior.IsAutoregressive);

        manual_seed(1);
        using var samples = prior.Sample(400);
        Assert.Equal(new long[] { 400, 2, 1 }, samples.shape);
        Assert.True(samples.select(1, 0).eq(2).all().item<bool>());
        using var second = samples.select(1, 1);
        Assert.True((second.eq(0) | second.eq(3)).all().item<bool>());
        Assert.InRange(second.eq(0).sum().item<long>(), 150, 250);

        // −log2 p: position 0 costs nothing, position 1 one bit.
        Assert.Equal(1, (-prior.LogLikelihood(train).mean().item<double>() / Math.Log(2)), 3);
    }

    [Fact]
    public void The_transformer_prior_learns_a_deterministic_sequence()
    {
        // Every example is the same sequence over two heads: the prior should become (almost) certain of it.
        using var one = tensor(new long[] { 1, 3, 0, 2, 2, 1 }).reshape(1, 3, 2);
        using var train = one.expand(512, -1, -1).contiguous();
        manual_seed(2); // before construction: the initial weights come from the global generator
        using var prior = new CodePrior(positions: 3, heads: 2, codebookSize: 4, width: 16, layers: 1, autoregressive: true);
        Stages.Fit(prior, train, train.narrow(0, 0, 8), epochs: 12, seed: 3);
        Assert.True(prior.IsAutoregressive);
        // Uniform codes cost 6 × 2 = 12 bits.
        double bits = (-prior.LogLikelihood(train).mean().item<double>() / Math.Log(2));
        manual_seed(4);
        using var samples = prior.Sample(50);
        double agreement = samples.eq(one).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(bits < 6, $"{bits} bits for a sequence that never changes");
        Assert.True(agreement > 0.5, $"only {agreement:P0} of the sampled codes follow the sequence");
    }
}
