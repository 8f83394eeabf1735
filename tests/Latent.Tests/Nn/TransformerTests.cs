using Latent.Data;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Tests.Nn;

public sealed class TransformerTests
{
    [Fact]
    public void Self_attention_is_softmax_of_scaled_scores_times_values_per_head()
    {
        manual_seed(1);
        using var attention = new SelfAttention(width: 8, heads: 2);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(3, 5, 8);
        var parameters = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // [B, N, 3E] -> q, k, v [B, N, E] -> [B, H, N, d]
        var projected = nn.functional.linear(x, parameters["qkv.weight"], parameters["qkv.bias"]);
        Tensor Heads(Tensor t) => t.reshape(3, 5, 2, 4).transpose(1, 2);
        var (q, k, v) = (Heads(projected[.., .., ..8]), Heads(projected[.., .., 8..16]), Heads(projected[.., .., 16..]));
        var attended = (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(4)).softmax(-1).matmul(v).transpose(1, 2).reshape(3, 5, 8);
        var expected = nn.functional.linear(attended, parameters["proj.weight"], parameters["proj.bias"]);
        Assert.True(attention.forward(x).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Block_state_dict_keys_are_timms()
    {
        using var block = new TransformerBlock(8, 2);
        Assert.Equal(
            ["attn.proj.bias", "attn.proj.weight", "attn.qkv.bias", "attn.qkv.weight", "mlp.fc1.bias", "mlp.fc1.weight", "mlp.fc2.bias", "mlp.fc2.weight",
             "norm1.bias", "norm1.weight", "norm2.bias", "norm2.weight"],
            block.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Sine_cosine_positions_match_maes_get_2d_sincos_pos_embed()
    {
        // Reference rows from facebookresearch/mae util/pos_embed.py, embed_dim 8, grid 3, cls_token=True.
        using var positions = Transformers.SinCosPositions(3, 3, 8, leadingZeroRow: true);
        Assert.Equal(new long[] { 1, 10, 8 }, positions.shape);
        float[][] expected =
        [
            [0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f],
            [0.841471f, 0.010000f, 0.540302f, 0.999950f, 0f, 0f, 1f, 1f],
            [0f, 0f, 1f, 1f, 0.841471f, 0.010000f, 0.540302f, 0.999950f],
            [0.909297f, 0.019999f, -0.416147f, 0.999800f, 0.909297f, 0.019999f, -0.416147f, 0.999800f],
        ];
        int[] rows = [0, 2, 4, 9];
        for (int i = 0; i < rows.Length; i++)
            Assert.True(positions[0, rows[i]].allclose(tensor(expected[i]), atol: 1e-5), $"row {rows[i]}");
    }

    [Fact]
    public void Patchify_follows_maes_layout_and_unpatchify_inverts_it()
    {
        using var images = arange(2 * 3 * 4 * 4, dtype: ScalarType.Float32).reshape(2, 3, 4, 4);
        using var patches = Patches.Patchify(images, 2);
        Assert.Equal(new long[] { 2, 4, 12 }, patches.shape);
        // MAE: einsum('nchpwq->nhwpqc'); example 1, patch 2 (row 1, column 0), computed with numpy.
        Assert.Equal(new float[] { 56, 72, 88, 57, 73, 89, 60, 76, 92, 61, 77, 93 }, patches[1, 2].data<float>().ToArray());
        Assert.True(Patches.Unpatchify(patches, 2, DataShape.Image(3, 4, 4).ImageSize).SameAs(images));
    }
}
