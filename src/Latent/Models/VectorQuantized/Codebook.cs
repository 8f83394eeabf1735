// One codebook of a VQ-VAE: K code vectors e_1..e_K ∈ ℝ^D, the nearest-code search, and how the codes learn.
//   van den Oord, Vinyals & Kavukcuoglu 2017, "Neural Discrete Representation Learning", §3.1 (nearest code,
//     codebook loss) and appendix A.1 (exponential moving average updates).
//   Razavi, van den Oord & Vinyals 2019, "Generating Diverse High-Fidelity Images with VQ-VAE-2", §3.1 (EMA with
//     Laplace smoothing of the cluster sizes).
//   lucidrains/vector-quantize-pytorch, EuclideanCodebook: k-means initialisation from the first batch and
//     restarting dead codes from encoder outputs; its buffer names (embed, cluster_size, embed_avg, initted) are kept.
//   Yu et al. 2022, "Vector-quantized Image Modeling with Improved VQGAN" (ViT-VQGAN), §3.2: with cosine codes the
//     codes are l2-normalised (as the quantiser normalises z_e), so the nearest code is the most similar direction.

using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>How a codebook learns; the part of <see cref="VqOptions"/> a <see cref="Codebook"/> needs.</summary>
/// <param name="Ema">Codes follow exponential moving averages of their encoder outputs (no codebook loss).</param>
/// <param name="EmaDecay">γ of those averages; also the decay of the usage counts.</param>
/// <param name="KmeansInit">Initialise the codes by k-means on the first training batch.</param>
/// <param name="RestartAfter">Steps a code may go unused before it is re-seeded; 0 never.</param>
/// <param name="Cosine">Codes are used l2-normalised (ViT-VQGAN's cosine-similarity codes); the stored vectors need not be.</param>
public sealed record CodebookTraining(bool Ema, double EmaDecay, bool KmeansInit, int RestartAfter, bool Cosine = false)
{
    /// <summary>ε of the Laplace smoothing of the cluster sizes (Razavi et al. 2019).</summary>
    public const double LaplaceEpsilon = 1e-5;

    /// <summary>Lloyd iterations of the k-means initialisation.</summary>
    public const int KmeansIterations = 10;
}

/// <summary>
/// K code vectors and the nearest-code search. Everything that changes while training (the codes
/// under EMA, the cluster sizes, the usage counters) is a buffer, so checkpoints resume exactly;
/// every random draw (k-means seeds, restarts) comes from torch's global generator, which the
/// trainer re-seeds at every step.
/// </summary>
public sealed class Codebook : nn.Module<Tensor, Tensor>
{
    // [K, D]: the codes. A parameter learned through the codebook loss, or a buffer under EMA.
    private readonly Tensor embed;
    // [K]: N_i, an exponential moving average of how many encoder outputs each code received per step.
    private readonly Tensor cluster_size;
    // [K, D]: m_i, the moving average of the sum of those outputs (EMA only); e_i = m_i / N_i.
    private readonly Tensor? embed_avg;
    // [1]: 1 once the codes hold their k-means initialisation (or when there is none to do).
    private readonly Tensor initted;
    // [K] int64: training steps since each code was last chosen.
    private readonly Tensor steps_unused;

    private readonly CodebookTraining _training;

    /// <summary>K codes of the given dimension, random until k-means or training moves them.</summary>
    /// <param name="size">K, the number of codes.</param>
    /// <param name="dimension">The dimension of one code vector.</param>
    /// <param name="training">How the codes learn: EMA or the codebook loss, k-means initialisation, restarts, cosine search.</param>
    public Codebook(int size, int dimension, CodebookTraining training) : base(nameof(Codebook))
    {
        Size = size;
        Dimension = dimension;
        _training = training;
        var initial = randn(size, dimension);
        embed = training.Ema ? initial : nn.Parameter(initial);
        // One pseudo-observation at the initial code, so that a code nobody picks keeps its place
        // (m_i / N_i stays e_i) instead of being divided by the smoothing ε.
        cluster_size = ones(size);
        embed_avg = training.Ema ? initial.clone() : null;
        initted = full(1, training.KmeansInit ? 0f : 1f);
        steps_unused = zeros(size, ScalarType.Int64);
        RegisterComponents();
    }

    /// <summary>K.</summary>
    public int Size { get; }

    /// <summary>D.</summary>
    public int Dimension { get; }

    /// <summary>The codes [K, D] as stored (under cosine codes, before normalisation).</summary>
    public Tensor Embedding => embed;

    /// <summary>The codes [K, D] as the search and the lookup use them: l2-normalised under cosine codes, else as stored.</summary>
    public Tensor Codes => _training.Cosine ? nn.functional.normalize(embed, p: 2, dim: 1) : embed;

    /// <summary>Steps since each code was last chosen in training [K].</summary>
    public Tensor StepsUnused => steps_unused;

    /// <summary>Vectors [N, D] → index of the nearest code of each [N] (int64).</summary>
    public override Tensor forward(Tensor vectors) => Nearest(vectors);

    /// <inheritdoc cref="forward"/>
    public Tensor Nearest(Tensor vectors)
    {
        using var noGrad = no_grad();
        if (!_training.Cosine) return NearestIn(embed, vectors);
        using var codes = Codes;
        return NearestIn(codes, vectors);
    }

    /// <summary>
    /// ‖z − e‖² = ‖z‖² − 2 z·e + ‖e‖² for every vector and code, [N, K]: one matrix product, no loop
    /// over codes. For tests and inspection; the search itself drops the ‖z‖² term.
    /// </summary>
    public Tensor SquaredDistances(Tensor vectors)
    {
        using var scope = NewDisposeScope();
        var vectorNorms = vectors.square().sum(1, keepdim: true); // [N, 1]
        var codeNorms = embed.square().sum(1);                    // [K]
        return codeNorms.addmm(vectors, embed.t(), beta: 1, alpha: -2).add_(vectorNorms).MoveToOuterDisposeScope();
    }

    /// <summary>The codes at <paramref name="indices"/> [N] → [N, D]; differentiable in the codes when they are learned.</summary>
    public Tensor Lookup(Tensor indices)
    {
        if (!_training.Cosine) return embed.index_select(0, indices);
        // Normalised after the selection, so that autograd keeps the selected rows, not the codes that restarts change in place.
        using var selected = embed.index_select(0, indices);
        return nn.functional.normalize(selected, p: 2, dim: 1);
    }

    /// <summary>
    /// The argmin over codes of ‖z − e‖². ‖z‖² is the same for every code, so it needs only
    /// ‖e‖² − 2 z·e: <see cref="NearestCodeSearch"/> computes it without writing the distances out
    /// (AVX-512, AVX2 or 128-bit vectors, whichever the CPU has), else by addmm + argmin.
    /// </summary>
    static Tensor NearestIn(Tensor codes, Tensor vectors) => NearestCodeSearch.Nearest(codes, vectors);

    /// <summary>
    /// k-means on the first training batch (vector-quantize-pytorch's kmeans_init): K of the batch's
    /// encoder outputs as seeds (with replacement when there are fewer than K), then Lloyd
    /// iterations. Does nothing once done; the <c>initted</c> buffer remembers it across checkpoints.
    /// </summary>
    public void InitialiseIfNeeded(Tensor vectors)
    {
        // Read from the buffer every time, never cached: a rollback to a checkpoint taken before the
        // initialisation restores initted = 0, and the k-means must then run again.
        if (initted.item<float>() != 0) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var centroids = Draw(vectors, Size);
        var counts = zeros(Size, device: vectors.device);
        for (int iteration = 0; iteration < CodebookTraining.KmeansIterations; iteration++)
        {
            var assignment = NearestIn(centroids, vectors);
            counts = assignment.bincount(null, Size).to_type(ScalarType.Float32);
            var sums = zeros_like(centroids).index_add_(0, assignment, vectors, 1);
            // An empty cluster keeps its centroid rather than collapsing to the origin.
            centroids = where(counts.eq(0).unsqueeze(1), centroids, sums / counts.clamp_min(1).unsqueeze(1));
        }
        embed.copy_(centroids);
        cluster_size.copy_(counts.clamp_min(1));
        embed_avg?.copy_(centroids * cluster_size.unsqueeze(1)); // m_i = e_i·N_i, so that e_i = m_i / N_i holds
        initted.fill_(1);
    }

    /// <summary>
    /// After a training step: count which codes the batch chose, move the codes by EMA (when on) and
    /// restart codes that have gone unused for <see cref="CodebookTraining.RestartAfter"/> steps.
    /// </summary>
    /// <param name="vectors">The batch's encoder outputs [N, D], detached.</param>
    /// <param name="indices">The code each was assigned [N].</param>
    public void Learn(Tensor vectors, Tensor indices)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var counts = indices.bincount(null, Size).to_type(ScalarType.Float32); // n_i
        steps_unused.add_(1).masked_fill_(counts.gt(0), 0);
        double decay = _training.EmaDecay;
        cluster_size.mul_(decay).add_(counts, alpha: 1 - decay);                 // N_i ← γN_i + (1−γ)n_i
        if (embed_avg is not null)
        {
            var sums = zeros_like(embed_avg).index_add_(0, indices, vectors, 1); // Σ_{j: k(j)=i} z_j
            embed_avg.mul_(decay).add_(sums, alpha: 1 - decay);                  // m_i ← γm_i + (1−γ)Σ z_j
            // Laplace smoothing: N_i ← (N_i + ε) / (n + Kε) · n with n = Σ N_i, so no code divides by zero.
            var total = cluster_size.sum();
            var smoothed = cluster_size.add(CodebookTraining.LaplaceEpsilon).div_(total.add(Size * CodebookTraining.LaplaceEpsilon)).mul_(total);
            embed.copy_(embed_avg / smoothed.unsqueeze(1));                      // e_i ← m_i / N_i
        }
        if (_training.RestartAfter > 0) RestartDeadCodes(vectors);
    }

    /// <summary>Re-seeds every code unused for <see cref="CodebookTraining.RestartAfter"/> steps from a random encoder output of the batch.</summary>
    void RestartDeadCodes(Tensor vectors)
    {
        var dead = steps_unused.ge(_training.RestartAfter).nonzero().squeeze(1); // [dead]
        if (dead.shape[0] == 0) return;
        var seeds = Draw(vectors, (int)dead.shape[0]);
        embed.index_copy_(0, dead, seeds);
        // As if each had received one vector, its seed: N_i = 1, m_i = e_i.
        cluster_size.index_fill_(0, dead, 1);
        embed_avg?.index_copy_(0, dead, seeds);
        steps_unused.index_fill_(0, dead, 0);
    }

    /// <summary><paramref name="count"/> rows of <paramref name="vectors"/> at random: distinct when there are enough, with replacement otherwise.</summary>
    static Tensor Draw(Tensor vectors, int count)
    {
        long available = vectors.shape[0];
        using var picks = available >= count
            ? randperm(available, device: vectors.device).narrow(0, 0, count)
            : randint(0, available, [count], device: vectors.device);
        return vectors.index_select(0, picks);
    }
}
