// Improved precision and recall of distributions: Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019,
// "Improved Precision and Recall Metric for Assessing Generative Models", §3. Each set of feature
// vectors stands for its manifold: the union of balls around its points, each ball reaching to the
// point's k-th nearest neighbour in the same set (k = 3, the paper's choice; the point itself is not
// its own neighbour). Then
//
//   precision = the fraction of generated samples inside the real manifold (samples look real),
//   recall    = the fraction of real examples inside the generated manifold (the real variety is covered),
//
// "inside" meaning within some ball, distance ≤ radius, as the authors' code compares. Distances are
// Euclidean, from ‖a‖² + ‖b‖² − 2a·b in float32 blocks (as their batched code computes them).

using static TorchSharp.torch;

namespace Latent.Evaluation.SampleQuality;

/// <summary>k-NN precision and recall (Kynkäänniemi et al. 2019).</summary>
public static class PrecisionRecall
{
    /// <summary>Neighbours that set each ball's radius (the paper's k).</summary>
    public const int Neighbours = 3;

    /// <summary>Rows of each block of distances (bounds the memory: 1024 × N floats).</summary>
    const int BlockRows = 1024;

    /// <summary>Precision and recall of <paramref name="generated"/> [M, F] against <paramref name="real"/> [N, F].</summary>
    public static (double Precision, double Recall) Compute(Tensor real, Tensor generated, int neighbours = Neighbours)
    {
        using var scope = NewDisposeScope();
        var (r, g) = (real.to(ScalarType.Float32), generated.to(ScalarType.Float32));
        if (r.shape[0] <= neighbours || g.shape[0] <= neighbours)
            throw new ArgumentException($"the k-NN manifolds need more than k = {neighbours} points on each side");
        var realRadii = Radii(r, neighbours);
        var generatedRadii = Radii(g, neighbours);
        return (Coverage(r, realRadii, g), Coverage(g, generatedRadii, r));
    }

    /// <summary>Distance of every point to its k-th nearest other point of the same set [N].</summary>
    public static Tensor Radii(Tensor points, int neighbours = Neighbours)
    {
        var parts = new List<Tensor>();
        for (long start = 0; start < points.shape[0]; start += BlockRows)
        {
            using var scope = NewDisposeScope();
            var block = points.narrow(0, start, Math.Min(BlockRows, points.shape[0] - start));
            // The k + 1-th smallest, since each point's smallest distance is to itself.
            parts.Add(Distances(block, points).kthvalue(neighbours + 1, 1).values.MoveToOuterDisposeScope());
        }
        return cat(parts, 0);
    }

    /// <summary>The fraction of <paramref name="probes"/> within radius of some point of the manifold.</summary>
    public static double Coverage(Tensor manifold, Tensor radii, Tensor probes)
    {
        long inside = 0;
        for (long start = 0; start < probes.shape[0]; start += BlockRows)
        {
            using var scope = NewDisposeScope();
            var block = probes.narrow(0, start, Math.Min(BlockRows, probes.shape[0] - start));
            inside += Distances(block, manifold).le(radii.unsqueeze(0)).any(1).sum().item<long>();  // [B, N] ≤ [1, N]
        }
        return inside / (double)probes.shape[0];
    }

    /// <summary>Euclidean distances [A, B] between the rows of <paramref name="a"/> [A, F] and <paramref name="b"/> [B, F].</summary>
    static Tensor Distances(Tensor a, Tensor b)
    {
        var squared = a.square().sum(1, keepdim: true) + b.square().sum(1).unsqueeze(0) - 2 * a.matmul(b.t());
        return squared.clamp_min(0).sqrt();
    }
}
