using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class CodebookTests
{
    static readonly CodebookTraining Learned = new(Ema: false, EmaDecay: 0.99, KmeansInit: false, RestartAfter: 0);

    static Codebook WithCodes(float[,] codes, CodebookTraining training)
    {
        var codebook = new Codebook(codes.GetLength(0), codes.GetLength(1), training);
        using var noGrad = no_grad();
        codebook.Embedding.copy_(tensor(codes));
        // Under EMA the codes are m_i / N_i with N_i = 1 at the start: keep the sums consistent.
        if (training.Ema) codebook.state_dict()["embed_avg"].copy_(tensor(codes));
        return codebook;
    }

    [Fact]
    public void The_nearest_code_is_the_brute_force_argmin_of_the_euclidean_distance()
    {
        manual_seed(7);
        using var codebook = new Codebook(300, 5, Learned);
        using var vectors = randn(1000, 5);
        using var nearest = codebook.Nearest(vectors);
        // [N, 1, D] − [1, K, D] → squared distances [N, K], the slow way
        using var brute = (vectors.unsqueeze(1) - codebook.Embedding.detach().unsqueeze(0)).square().sum(2).argmin(1);
        Assert.True(nearest.SameAs(brute));
    }

    [Fact]
    public void Squared_distances_expand_the_norm_as_one_matrix_product()
    {
        manual_seed(8);
        using var codebook = new Codebook(7, 3, Learned);
        using var vectors = randn(11, 3);
        using var distances = codebook.SquaredDistances(vectors);
        using var expected = cdist(vectors, codebook.Embedding.detach()).square();
        Assert.True(distances.allclose(expected, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void The_search_in_blocks_gives_the_same_codes_as_at_once()
    {
        manual_seed(9);
        // 70000 codes: a block holds 2^24 / 70000 = 239 rows, so 1000 vectors take five blocks.
        using var codebook = new Codebook(70_000, 2, Learned);
        using var vectors = randn(1000, 2);
        using var blocked = codebook.Nearest(vectors);
        using var direct = codebook.SquaredDistances(vectors).argmin(1);
        Assert.True(blocked.SameAs(direct));
    }

    [Fact]
    public void Ema_moves_each_used_code_to_the_smoothed_average_of_its_vectors()
    {
        // Two codes at 0 and 10 on a line; decay 0.5. The batch gives code 0 the vectors 1 and 3.
        using var codebook = WithCodes(new float[,] { { 0 }, { 10 } }, new CodebookTraining(Ema: true, EmaDecay: 0.5, KmeansInit: false, RestartAfter: 0));
        using var vectors = tensor(new float[,] { { 1 }, { 3 } });
        using var indices = codebook.Nearest(vectors);
        Assert.Equal(new long[] { 0, 0 }, indices.data<long>().ToArray());
        codebook.Learn(vectors, indices);

        // N = 0.5·[1, 1] + 0.5·[2, 0] = [1.5, 0.5]; m = 0.5·[0, 10] + 0.5·[4, 0] = [2, 5];
        // Laplace: N' = (N + ε)/(n + 2ε)·n with n = 2; e = m / N'.
        double eps = CodebookTraining.LaplaceEpsilon, n = 2;
        double[] smoothed = [(1.5 + eps) / (n + 2 * eps) * n, (0.5 + eps) / (n + 2 * eps) * n];
        var codes = codebook.Embedding.data<float>().ToArray();
        Assert.Equal(2 / smoothed[0], codes[0], 5);
        Assert.Equal(5 / smoothed[1], codes[1], 5); // an unused code stays (almost) where it was
        Assert.Equal(10, codes[1], 3);
    }

    [Fact]
    public void Codes_unused_for_the_restart_period_are_reseeded_from_the_batch()
    {
        using var codebook = WithCodes(new float[,] { { 0, 0 }, { 100, 100 }, { -100, 100 }, { 100, -100 } },
            new CodebookTraining(Ema: false, EmaDecay: 0.99, KmeansInit: false, RestartAfter: 2));
        manual_seed(1);
        using var vectors = randn(50, 2);
        for (int step = 0; step < 2; step++)
        {
            using var indices = codebook.Nearest(vectors);
            Assert.True(indices.eq(0).all().item<bool>()); // only code 0 is near the batch
            codebook.Learn(vectors, indices);
        }
        // Codes 1–3 went unused twice: each now holds one of the batch's vectors, and their counters restart.
        var codes = codebook.Embedding.detach();
        for (int code = 1; code < 4; code++)
            Assert.True(vectors.sub(codes[code]).abs().sum(1).min().item<float>() == 0, $"code {code} is not a batch vector");
        Assert.Equal(new long[] { 0, 0, 0, 0 }, codebook.StepsUnused.data<long>().ToArray());
    }

    [Fact]
    public void Without_restarts_unused_codes_keep_counting()
    {
        using var codebook = WithCodes(new float[,] { { 0 }, { 100 } }, Learned);
        using var vectors = tensor(new float[,] { { 1 }, { 2 } });
        for (int step = 0; step < 3; step++)
        {
            using var indices = codebook.Nearest(vectors);
            codebook.Learn(vectors, indices);
        }
        Assert.Equal(new long[] { 0, 3 }, codebook.StepsUnused.data<long>().ToArray());
        Assert.Equal(100, codebook.Embedding.data<float>()[1]);
    }

    [Fact]
    public void Kmeans_initialisation_finds_the_clusters_of_the_first_batch()
    {
        manual_seed(3);
        var centres = tensor(new float[,] { { 5, 5 }, { -5, 5 }, { 0, -5 } });
        using var vectors = (centres.repeat(100, 1) + 0.1 * randn(300, 2)); // [300, 2], three tight clusters
        // Twelve codes for three clusters: seeds drawn at random cover every cluster (Lloyd's iterations cannot move a code across).
        using var codebook = new Codebook(12, 2, new CodebookTraining(Ema: true, EmaDecay: 0.99, KmeansInit: true, RestartAfter: 0));
        codebook.InitialiseIfNeeded(vectors);
        // Every centre has codes near it, and no code sits between clusters.
        using var distances = cdist(centres, codebook.Embedding);
        var text = distances.ToString(TorchSharp.TensorStringStyle.Numpy);
        Assert.True(distances.min(1).values.max().item<float>() < 0.3, text);
        Assert.True(distances.min(0).values.max().item<float>() < 0.3, text);

        // Once initialised, later batches leave the codes alone.
        using var before = codebook.Embedding.clone();
        codebook.InitialiseIfNeeded(randn(300, 2) * 10);
        Assert.True(codebook.Embedding.SameAs(before));
    }
}
