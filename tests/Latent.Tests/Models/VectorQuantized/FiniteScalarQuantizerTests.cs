using Latent.Models;
using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class FiniteScalarQuantizerTests
{
    // Levels 3 (odd: values −1, 0, 1) and 4 (even: −2 … 1, after the shift s = tan(0.5 / 1.4985) = 0.34654).
    // By hand, f(z) = tanh(z + s)·h − o:
    //   channel 1 (h = 0.999, o = 0):  0.3 → 0.291 → 0;   2 → 0.963 → 1;   −0.6 → −0.536 → −1
    //   channel 2 (h = 1.4985, o = ½): 0 → 0 → 0;   5 → 0.998 → 1;   −5 → −1.998 → −2;   −0.5 → −0.728 → −1
    // ẑ = round(f)/⌊L/2⌋, and the code is (ℓ₁ + 1) + 3·(ℓ₂ + 2).
    static readonly float[,] Inputs = { { 0.3f, 0f }, { 2f, 5f }, { -0.6f, -5f }, { 0.3f, -0.5f } };
    static readonly float[,] Quantised = { { 0, 0 }, { 1, 0.5f }, { -1, -1 }, { 0, -0.5f } };
    static readonly long[] ExpectedCodes = [1 + 3 * 2, 2 + 3 * 3, 0, 1 + 3 * 1];

    static FiniteScalarQuantizer Quantizer() => new(dimension: 2, heads: 1, levels: [3, 4]);

    [Fact]
    public void Values_are_bounded_rounded_and_indexed_as_worked_out_by_hand()
    {
        using var quantizer = Quantizer();
        using var z = tensor(Inputs).reshape(1, 4, 2);
        var output = quantizer.Quantize(z, learn: false);
        Assert.True(output.Output.allclose(tensor(Quantised).reshape(1, 4, 2), atol: 1e-6));
        Assert.Equal(ExpectedCodes, output.Codes.reshape(-1).data<long>().ToArray());
        Assert.Empty(output.Terms); // no codebook or commitment loss
        Assert.Equal(12, quantizer.Space.CodebookSize);
        Assert.True(quantizer.Codes(z).SameAs(output.Codes));
        Assert.Empty(quantizer.named_parameters()); // L·d = dim: no projections
    }

    [Fact]
    public void Every_code_embeds_to_its_own_grid_point_and_back()
    {
        using var quantizer = Quantizer();
        using var codes = arange(12, ScalarType.Int64).reshape(1, 12, 1);
        using var points = quantizer.Embed(codes); // [1, 12, 2]
        Assert.Equal(12, points.squeeze(0).unique(dim: 0).Item1.shape[0]);
        using var fromInputs = quantizer.Embed(quantizer.Codes(tensor(Inputs).reshape(1, 4, 2)));
        Assert.True(fromInputs.allclose(tensor(Quantised).reshape(1, 4, 2), atol: 1e-6));
    }

    [Fact]
    public void Rounding_passes_the_gradient_of_the_bound_straight_through()
    {
        using var quantizer = Quantizer();
        using var z = tensor(Inputs).reshape(1, 4, 2).requires_grad_();
        quantizer.Quantize(z, learn: false).Output.sum().backward();
        // d/dz [tanh(z + s)·h / ⌊L/2⌋] = (1 − tanh²(z + s))·h / ⌊L/2⌋
        double[] shift = [0, Math.Tan(0.5 / (3 * 0.999 / 2))], half = [2 * 0.999 / 2, 3 * 0.999 / 2], width = [1, 2];
        var gradient = z.grad!.reshape(4, 2);
        for (int row = 0; row < 4; row++)
            for (int channel = 0; channel < 2; channel++)
            {
                double t = Math.Tanh(Inputs[row, channel] + shift[channel]);
                Assert.Equal((1 - t * t) * half[channel] / width[channel], gradient[row, channel].item<float>(), 5);
            }
    }

    [Fact]
    public void Two_levels_are_a_sign_with_a_finite_shift()
    {
        using var quantizer = new FiniteScalarQuantizer(dimension: 1, heads: 1, levels: [2]);
        using var z = tensor(new float[] { -3, -0.5f, 0, 0.5f, 3 }).reshape(1, 5, 1);
        var output = quantizer.Quantize(z, learn: false);
        // f(z) = tanh(z + tan(1.001))·0.4995 − ½: below −½ (→ −1) only for z < −tan(1.001) = −1.559
        Assert.Equal(new long[] { 0, 1, 1, 1, 1 }, output.Codes.reshape(-1).data<long>().ToArray());
        Assert.True(output.Output.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(256, new[] { 8, 6, 5 })]
    [InlineData(1024, new[] { 8, 5, 5, 5 })]
    [InlineData(4096, new[] { 7, 5, 5, 5, 5 })]
    [InlineData(16384, new[] { 8, 8, 8, 6, 5 })]
    [InlineData(65536, new[] { 8, 8, 8, 5, 5, 5 })]
    public void A_codebook_size_alone_gives_the_levels_of_the_papers_table_1(int codebookSize, int[] levels)
    {
        Assert.Equal(levels, FiniteScalarQuantizer.DefaultLevels(codebookSize));
        var options = new VqOptions { Quantizer = QuantizerKind.Fsq, CodebookSize = codebookSize };
        Assert.Equal(levels, options.FsqLevels);
        Assert.Equal(levels.Aggregate(1, (a, b) => a * b), options.CodeSpace.CodebookSize);
    }

    [Fact]
    public void Heads_and_a_wider_input_are_projected_to_heads_times_channels()
    {
        manual_seed(3);
        using var quantizer = new FiniteScalarQuantizer(dimension: 32, heads: 2, levels: [8, 5, 5, 5]);
        Assert.Contains("project_in.weight", quantizer.named_parameters().Select(p => p.name));
        using var z = randn(3, 7, 32);
        var output = quantizer.Quantize(z, learn: false);
        Assert.Equal(new long[] { 3, 7, 32 }, output.Output.shape);
        Assert.Equal(new long[] { 3, 7, 2 }, output.Codes.shape);
        Assert.True(output.Codes.ge(0).all().item<bool>() && output.Codes.lt(1000).all().item<bool>());
        Assert.True(quantizer.Embed(output.Codes).allclose(output.Output.detach(), atol: 1e-5));
    }

    [Fact]
    public void Codes_are_stored_at_the_exact_product_of_levels()
    {
        // 49 positions of 1000 codes: ⌈49·log2 1000⌉ = ⌈488.34⌉ = 489 bits, not 49·10 = 490.
        var space = new CodeSpace(QuantizerKind.Fsq, 1, 1, 1000, [8, 5, 5, 5]);
        Assert.Equal(489, space.BitsPerExample(49));
        Assert.Equal((long)Math.Ceiling(49 * 2 * Math.Log2(4375)), new CodeSpace(QuantizerKind.Fsq, 2, 1, 4375, [7, 5, 5, 5, 5]).BitsPerExample(49));
        Assert.Equal(49 * 16, new CodeSpace(QuantizerKind.Fsq, 1, 1, 65536, [16, 16, 16, 16]).BitsPerExample(49));
    }
}
