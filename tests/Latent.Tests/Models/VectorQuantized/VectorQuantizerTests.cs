using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class VectorQuantizerTests
{
    static readonly CodebookTraining Learned = new(Ema: false, EmaDecay: 0.99, KmeansInit: false, RestartAfter: 0);

    [Fact]
    public void The_output_is_the_nearest_code_and_the_gradient_passes_straight_through()
    {
        manual_seed(1);
        using var quantizer = new VectorQuantizer(dimension: 4, heads: 1, codebookSize: 16, codeDimension: 4, Learned);
        using var z = randn(10, 4).requires_grad_();
        var quantized = quantizer.Quantize(z, learn: false);

        var codebook = quantizer.Codebooks[0];
        using var expected = codebook.Embedding.detach().index_select(0, quantized.Codes.select(1, 0));
        Assert.True(quantized.Output.detach().allclose(expected, atol: 1e-6));

        // d/dz Σ w·output = w: quantisation counts as the identity on the way back.
        using var weights = randn(10, 4);
        (quantized.Output * weights).sum().backward();
        Assert.True(z.grad!.allclose(weights));
    }

    [Fact]
    public void The_codebook_loss_trains_the_codes_and_the_commitment_loss_the_encoder()
    {
        manual_seed(2);
        using var quantizer = new VectorQuantizer(dimension: 3, heads: 1, codebookSize: 8, codeDimension: 3, Learned);
        using var z = randn(6, 3).requires_grad_();
        var quantized = quantizer.Quantize(z, learn: false);
        using var gap = (quantized.Output.detach() - z.detach()).square().mean();
        Assert.Equal(gap.item<float>(), quantized.CodebookLoss.item<float>(), 5);
        Assert.Equal(gap.item<float>(), quantized.CommitmentLoss.item<float>(), 5);

        quantized.CodebookLoss.backward();
        Assert.Null(z.grad); // sg(z_e): the codebook loss never reaches the encoder
        Assert.True(quantizer.Codebooks[0].Embedding.grad!.abs().sum().item<float>() > 0);

        quantizer.Codebooks[0].Embedding.grad!.zero_();
        quantizer.Quantize(z, learn: false).CommitmentLoss.backward();
        Assert.True(z.grad!.abs().sum().item<float>() > 0);
        Assert.Equal(0, quantizer.Codebooks[0].Embedding.grad!.abs().sum().item<float>()); // sg(z_q)
    }

    [Fact]
    public void Each_head_quantises_its_own_slice_against_its_own_codebook()
    {
        manual_seed(3);
        using var quantizer = new VectorQuantizer(dimension: 6, heads: 3, codebookSize: 5, codeDimension: 2, Learned);
        using var z = randn(20, 6);
        var quantized = quantizer.Quantize(z, learn: false);
        Assert.Equal(new long[] { 20, 3 }, quantized.Codes.shape);
        for (int head = 0; head < 3; head++)
        {
            using var slice = z.narrow(1, 2 * head, 2);
            Assert.True(quantized.Codes.select(1, head).SameAs(quantizer.Codebooks[head].Nearest(slice)));
        }
        // Embedding the codes again gives the quantised vectors.
        Assert.True(quantizer.Embed(quantized.Codes).allclose(quantized.Output.detach(), atol: 1e-6));
        Assert.True(quantizer.Codes(z).SameAs(quantized.Codes));
    }

    [Fact]
    public void A_code_dimension_that_does_not_split_the_input_is_projected_in_and_out()
    {
        manual_seed(4);
        using var quantizer = new VectorQuantizer(dimension: 10, heads: 2, codebookSize: 5, codeDimension: 3, Learned);
        var names = quantizer.named_parameters().Select(p => p.name).ToArray();
        Assert.Contains("project_in.weight", names);
        Assert.Contains("project_out.weight", names);
        var quantized = quantizer.Quantize(randn(4, 10), learn: false);
        Assert.Equal(new long[] { 4, 10 }, quantized.Output.shape);
        Assert.Equal(new long[] { 4, 2 }, quantized.Codes.shape);
    }

    [Fact]
    public void Learning_happens_only_when_asked()
    {
        manual_seed(5);
        using var quantizer = new VectorQuantizer(dimension: 2, heads: 1, codebookSize: 4, codeDimension: 2,
            new CodebookTraining(Ema: true, EmaDecay: 0.9, KmeansInit: true, RestartAfter: 1));
        using var before = quantizer.Codebooks[0].Embedding.clone();
        using var z = randn(32, 2) + 3;
        quantizer.Quantize(z, learn: false);
        quantizer.Codes(z);
        Assert.True(quantizer.Codebooks[0].Embedding.SameAs(before));
        quantizer.Quantize(z, learn: true);
        Assert.False(quantizer.Codebooks[0].Embedding.SameAs(before));
    }
}

public sealed class CosineCodesTests
{
    [Fact]
    public void Cosine_codes_pick_the_most_similar_direction_and_give_unit_vectors()
    {
        manual_seed(6);
        var training = new CodebookTraining(Ema: false, EmaDecay: 0.99, KmeansInit: false, RestartAfter: 0, Cosine: true);
        using var quantizer = new VectorQuantizer(dimension: 3, heads: 1, codebookSize: 16, codeDimension: 3, training);
        using var z = randn(20, 3);
        var quantized = quantizer.Quantize(z, learn: false);
        Assert.True(quantized.Output.detach().norm(1).allclose(ones(20), atol: 1e-5));
        // The same direction at any length has the same code.
        Assert.True(quantizer.Codes(z * 7.5).SameAs(quantized.Codes));
        // It is the code of largest cosine similarity.
        using var codes = quantizer.Codebooks[0].Embedding.detach();
        using var cosine = nn.functional.normalize(z, p: 2, dim: 1).matmul(nn.functional.normalize(codes, p: 2, dim: 1).t()); // [N, K]
        Assert.True(cosine.argmax(1).SameAs(quantized.Codes.select(1, 0)));
    }
}
