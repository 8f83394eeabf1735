using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class NearestCodeSearchTests
{
    [SkippableTheory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 3, 5)]        // fewer codes than one 16-wide tile, rows not a multiple of 4
    [InlineData(1000, 33, 300)]  // codes spill into a padded tile, several row blocks
    [InlineData(517, 64, 4099)]  // several L1 chunks of codes
    public void The_fused_search_agrees_with_addmm_and_argmin(int rows, int dimension, int codes)
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "the fused search needs AVX-512; elsewhere Codebook uses addmm + argmin");
        manual_seed(rows + dimension + codes);
        using var book = randn(codes, dimension);
        using var vectors = randn(rows, dimension);
        using var fused = NearestCodeSearch.Nearest(book, vectors);
        // The slow way: [N, 1, D] − [1, K, D] → squared distances [N, K]. Rounding may flip a near tie,
        // so compare the distances of the chosen codes rather than the indices.
        using var distances = (vectors.unsqueeze(1) - book.unsqueeze(0)).square().sum(2);
        using var chosen = distances.gather(1, fused.unsqueeze(1)).squeeze(1);
        using var smallest = distances.min(1).values;
        Assert.True(chosen.allclose(smallest, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(rows, (int)fused.shape[0]);
    }

    [SkippableFact]
    public void Ties_go_to_the_lowest_index_as_argmin_does()
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, "the fused search needs AVX-512");
        // 40 copies of the same code: every one is nearest; the first must win, across tiles and lanes.
        using var book = ones(40, 3);
        using var vectors = zeros(5, 3);
        using var fused = NearestCodeSearch.Nearest(book, vectors);
        Assert.All(fused.data<long>().ToArray(), index => Assert.Equal(0L, index));
    }
}
