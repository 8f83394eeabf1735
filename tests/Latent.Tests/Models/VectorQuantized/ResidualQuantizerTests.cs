using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class ResidualQuantizerTests
{
    static readonly CodebookTraining Learned = new(Ema: false, EmaDecay: 0.99, KmeansInit: false, RestartAfter: 0);

    static ResidualQuantizer Quantizer(int stages, bool shared = false, double dropout = 0, CodebookTraining? training = null, int heads = 1) =>
        new(dimension: 4, heads, codebookSize: 8, codeDimension: 4 / heads, training ?? Learned,
            new ResidualStages(stages, shared, dropout, Commitment: 0.25, GradientEstimator.Ste));

    [Fact]
    public void Each_stage_quantises_what_the_stages_before_it_left_over()
    {
        manual_seed(1);
        using var quantizer = Quantizer(3);
        using var z = randn(2, 5, 4);
        var output = quantizer.Quantize(z, learn: false);
        Assert.Equal(new long[] { 2, 5, 3 }, output.Codes.shape);
        var residual = z.reshape(-1, 4);
        var sum = zeros_like(residual);
        for (int stage = 0; stage < 3; stage++)
        {
            var codebook = quantizer.CodebookOf(stage, 0);
            var expected = codebook.Nearest(residual);
            Assert.True(output.Codes.select(2, stage).reshape(-1).SameAs(expected), $"stage {stage}");
            var q = codebook.Lookup(expected).detach();
            sum += q;
            residual = residual - q;
        }
        Assert.True(output.Output.detach().reshape(-1, 4).allclose(sum, atol: 1e-5));
        Assert.True(quantizer.Embed(output.Codes).detach().allclose(output.Output.detach(), atol: 1e-5));
        Assert.True(quantizer.Codes(z).SameAs(output.Codes));
        Assert.Equal(new[] { "codebook", "commitment" }, output.Terms.Select(t => t.Term.Name));
    }

    [Fact]
    public void More_stages_reconstruct_better_and_a_prefix_decodes_alone()
    {
        manual_seed(2);
        // k-means-initialised stages (each on its own residuals): every stage's codes are means of what it quantises,
        // so the mean error can only fall from stage to stage.
        using var quantizer = Quantizer(4, training: Learned with { KmeansInit = true });
        using var z = randn(1, 64, 4);
        quantizer.Quantize(z, learn: true);
        using var codes = quantizer.Codes(z);
        double previous = double.PositiveInfinity;
        for (int stages = 1; stages <= 4; stages++)
        {
            using var decoded = quantizer.EmbedPrefix(codes, stages);
            double error = (decoded - z).square().mean().item<float>();
            Assert.True(error <= previous + 1e-6, $"{stages} stages: {error} after {previous}");
            previous = error;
        }
        using var first = quantizer.EmbedPrefix(codes, 1);
        Assert.True(first.allclose(quantizer.CodebookOf(0, 0).Lookup(codes.select(2, 0).reshape(-1)).reshape(1, 64, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => quantizer.EmbedPrefix(codes, 5));
    }

    [Fact]
    public void A_shared_codebook_is_one_set_of_weights_that_learns_once_a_step()
    {
        manual_seed(3);
        using var quantizer = Quantizer(3, shared: true, training: new CodebookTraining(Ema: true, EmaDecay: 0.9, KmeansInit: true, RestartAfter: 5), heads: 2);
        var names = quantizer.state_dict().Keys.ToArray();
        Assert.Contains("codebooks.1.embed", names);
        Assert.DoesNotContain("codebooks.2.embed", names);
        Assert.Same(quantizer.CodebookOf(0, 1), quantizer.CodebookOf(2, 1));
        using var z = randn(4, 6, 4);
        quantizer.Quantize(z, learn: true);
        quantizer.Quantize(z, learn: true);
        // Two steps: no code has gone unused for more than two, however many stages used the codebook.
        Assert.True(quantizer.CodebookOf(0, 0).StepsUnused.le(2).all().item<bool>());
        Assert.Equal(6, quantizer.Space.CodesPerPosition);
    }

    [Fact]
    public void Quantizer_dropout_decodes_each_example_from_a_random_prefix_of_stages()
    {
        manual_seed(4);
        using var quantizer = Quantizer(4, dropout: 1);
        using var z = randn(64, 3, 4);
        var output = quantizer.Quantize(z, learn: true);
        var used = new HashSet<int>();
        for (int example = 0; example < 64; example++)
        {
            var codes = output.Codes.narrow(0, example, 1);
            var actual = output.Output.detach().narrow(0, example, 1);
            int stages = Enumerable.Range(1, 4).First(k => quantizer.EmbedPrefix(codes, k).allclose(actual, atol: 1e-5));
            used.Add(stages);
        }
        Assert.True(used.Count >= 3, $"prefixes used: {string.Join(", ", used)}");
        // Without learning (evaluation), every stage counts.
        var evaluated = quantizer.Quantize(z, learn: false);
        Assert.True(quantizer.Embed(evaluated.Codes).allclose(evaluated.Output.detach(), atol: 1e-5));
    }
}
