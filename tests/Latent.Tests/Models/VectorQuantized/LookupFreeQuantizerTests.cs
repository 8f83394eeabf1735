using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class LookupFreeQuantizerTests
{
    static LookupFreeQuantizer Quantizer(int bits, double temperature = 0.01, int dimension = 0) =>
        new(dimension == 0 ? bits : dimension, heads: 1, bits, new EntropyPenalty(0.1, 0.1, temperature, 0.25));

    [Fact]
    public void Each_channel_becomes_its_sign_and_the_code_its_bits()
    {
        using var quantizer = Quantizer(3);
        using var z = tensor(new float[] { 0.5f, -0.2f, 0.1f, -1f, -2f, 0f }).reshape(1, 2, 3);
        var output = quantizer.Quantize(z, learn: false);
        Assert.True(output.Output.allclose(tensor(new float[] { 1, -1, 1, -1, -1, -1 }).reshape(1, 2, 3)));
        Assert.Equal(new long[] { 1 + 4, 0 }, output.Codes.reshape(-1).data<long>().ToArray()); // bits (1,0,1) and (0,0,0): z = 0 is −1
        Assert.True(quantizer.Embed(output.Codes).SameAs(output.Output.detach()));
        Assert.Equal(new[] { "commitment", "sample_entropy", "batch_entropy" }, output.Terms.Select(t => t.Term.Name));
        Assert.Equal(8, quantizer.Space.CodebookSize);
    }

    /// <summary>The entropies by brute force over all 2^d codes: p(c|z) = softmax_c(−‖z − c‖²/τ).</summary>
    static (double Sample, double Batch) BruteForce(Tensor z, int bits, double temperature)
    {
        using var scope = NewDisposeScope();
        var codes = arange(1 << bits, ScalarType.Int64).unsqueeze(1).bitwise_and(tensor(Enumerable.Range(0, bits).Select(b => 1L << b).ToArray()))
            .gt(0).to_type(ScalarType.Float64) * 2 - 1; // [2^d, d]
        var rows = z.reshape(-1, bits).to_type(ScalarType.Float64);
        var distances = (rows.unsqueeze(1) - codes.unsqueeze(0)).square().sum(2); // [N, 2^d]
        var p = (-distances / temperature).softmax(1);
        var sample = -(p * p.clamp_min(1e-300).log()).sum(1).mean().item<double>();
        var average = p.mean([0]);
        var batch = -(average * average.clamp_min(1e-300).log()).sum().item<double>();
        return (sample, batch);
    }

    [Fact]
    public void The_factorised_entropies_equal_the_brute_force_ones_up_to_4_channels()
    {
        manual_seed(1);
        using var quantizer = Quantizer(4, temperature: 0.5);
        using var z = randn(1, 40, 4) * 0.6;
        var (sample, batch) = quantizer.Entropies(z.reshape(1, 40, 1, 4));
        var (expectedSample, expectedBatch) = BruteForce(z, 4, 0.5);
        Assert.Equal(expectedSample, sample.item<float>(), 4);
        Assert.Equal(expectedBatch, batch.item<float>(), 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(10)]
    public void The_batch_entropy_is_the_exact_one_over_the_whole_codebook_also_for_correlated_channels(int bits)
    {
        manual_seed(2);
        using var quantizer = Quantizer(bits, temperature: 0.5);
        // Correlated channels: a sum of entropies over groups of channels would overcount here.
        using var common = randn(60, 1);
        using var z = (common.expand(60, bits) + 0.3 * randn(60, bits)).reshape(1, 60, bits);
        var (sample, batch) = quantizer.Entropies(z.reshape(1, 60, 1, bits));
        var (expectedSample, expectedBatch) = BruteForce(z, bits, 0.5);
        Assert.Equal(expectedSample, sample.item<float>(), 4);
        Assert.Equal(expectedBatch, batch.item<float>(), 4);
    }

    [Fact]
    public void Confident_and_balanced_assignments_minimise_the_penalty()
    {
        using var quantizer = Quantizer(1, temperature: 4); // p(c = 1 | z) = σ(z)
        using var balanced = tensor(new float[] { 20, -20 }).reshape(1, 2, 1, 1);
        var (sample, batch) = quantizer.Entropies(balanced);
        Assert.Equal(0, sample.item<float>(), 5);
        Assert.Equal(Math.Log(2), batch.item<float>(), 5);
        using var undecided = zeros(1, 2, 1, 1);
        (sample, batch) = quantizer.Entropies(undecided);
        Assert.Equal(Math.Log(2), sample.item<float>(), 5);
    }

    [Fact]
    public void The_gradient_passes_straight_through_and_the_entropy_reaches_the_encoder()
    {
        manual_seed(3);
        using var quantizer = Quantizer(4, temperature: 1, dimension: 8);
        using var z = randn(2, 5, 8).requires_grad_();
        var output = quantizer.Quantize(z, learn: false);
        output.Terms.Single(t => t.Term.Name == "batch_entropy").Value.backward();
        Assert.True(z.grad!.abs().sum().item<float>() > 0);
    }
}
