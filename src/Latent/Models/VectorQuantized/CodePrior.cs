// The prior over a VQ-VAE's codes, fitted after the VQ-VAE (van den Oord et al. 2017, §3.2: "we fit an
// autoregressive distribution over z" once the encoder, codebook and decoder are trained). Two priors:
//   the empirical one: each position and head independently, with the code frequencies of the training split;
//   the autoregressive one: p(k_1..k_T) = Π p(k_t | k_<t), a small transformer (CodeTransformer).

using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// A distribution over code grids [P, L] to sample from. Part of the VQ-VAE's weights
/// (<c>prior.*</c>), so that a run's model.safetensors carries it; until it is fitted its counts
/// are zero and sampling is refused.
/// </summary>
public sealed class CodePrior : nn.Module
{
    /// <summary>How the transformer is trained, as the VQ-VAE's second stage (its epochs are <see cref="VqOptions.PriorEpochs"/>).</summary>
    public static StageRecipe Recipe(int epochs) => new(epochs, BatchSize: 128, LearningRate: 2e-3, GradClip: 1.0, SeedStream: 0x5052494F52); // "PRIOR"

    // [P, L, K]: how often each code occurs at each position and head of the training split.
    private readonly Tensor counts;
    // [1]: epochs the transformer has been fitted for (0: not fitted; sample from the counts).
    private readonly Tensor trained_epochs;
    private readonly CodeTransformer? transformer;

    /// <summary>An unfitted prior over code grids [P, L] of K codes: zero counts and, when <paramref name="autoregressive"/>, an untrained transformer.</summary>
    /// <param name="positions">P, the latent positions.</param>
    /// <param name="heads">L, the codes per position.</param>
    /// <param name="codebookSize">K, the codes in each codebook.</param>
    /// <param name="width">The transformer's width.</param>
    /// <param name="layers">The transformer's blocks.</param>
    /// <param name="autoregressive">Whether to have a transformer at all (<see cref="VqOptions.PriorEpochs"/> above 0), or only the empirical counts.</param>
    public CodePrior(int positions, int heads, int codebookSize, int width, int layers, bool autoregressive)
        : base(nameof(CodePrior))
    {
        Positions = positions;
        Heads = heads;
        CodebookSize = codebookSize;
        counts = zeros(positions, heads, codebookSize);
        trained_epochs = zeros(1);
        transformer = autoregressive ? new CodeTransformer(positions * heads, heads, codebookSize, width, layers) : null;
        RegisterComponents();
    }

    /// <summary>P, the latent positions of a code grid.</summary>
    public int Positions { get; }
    /// <summary>L, the codes at each position.</summary>
    public int Heads { get; }
    /// <summary>K, the codes in each codebook.</summary>
    public int CodebookSize { get; }

    /// <summary>Whether the empirical distribution has been counted.</summary>
    public bool IsFitted => counts.sum().item<float>() > 0;

    /// <summary>Whether sampling uses the transformer.</summary>
    public bool IsAutoregressive => transformer is not null && trained_epochs.item<float>() > 0;

    /// <summary>
    /// <paramref name="count"/> code grids [count, P, L] from the transformer when it is fitted, from
    /// the empirical distribution otherwise, drawn with torch's global generator.
    /// </summary>
    public Tensor Sample(int count) => IsAutoregressive
        ? transformer!.Sample(count, counts.device).reshape(count, Positions, Heads)
        : SampleIndependent(count);

    /// <summary>Each position and head independently from the training split's code frequencies: incoherent, a baseline.</summary>
    public Tensor SampleIndependent(int count)
    {
        if (!IsFitted) throw NotFitted();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var probabilities = counts.reshape(Positions * Heads, CodebookSize);           // [P·L, K]
        var draws = probabilities.multinomial(count, replacement: true);                // [P·L, count]
        return draws.t().reshape(count, Positions, Heads).MoveToOuterDisposeScope();  // [count, P, L]
    }

    /// <summary>log p(codes) under the fitted prior, nats per example: codes [N, P, L] → [N] (float64), in batches.</summary>
    public Tensor LogLikelihood(Tensor codes, int batchSize = 128)
    {
        if (!IsFitted) throw NotFitted();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < codes.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = codes.narrow(0, start, Math.Min(batchSize, codes.shape[0] - start));
            long size = batch.shape[0];
            var perCode = IsAutoregressive
                ? transformer!.LogProbabilities(batch.reshape(size, -1))                                                  // [n, P·L]
                : (counts + 1e-12).div(counts.sum(2, keepdim: true)).log()                                                // [P, L, K]
                    .unsqueeze(0).expand(size, -1, -1, -1).gather(3, batch.unsqueeze(3)).reshape(size, -1);
            parts.Add(perCode.to(ScalarType.Float64).sum(1).MoveToOuterDisposeScope());
        }
        try { return parts.Count == 0 ? zeros(0, dtype: ScalarType.Float64) : cat(parts, 0); }
        finally { foreach (var part in parts) part.Dispose(); }
    }

    /// <summary>The autoregressive transformer, trained as the VQ-VAE's second stage; null for the empirical prior alone.</summary>
    public CodeTransformer? Transformer => transformer;

    /// <summary>
    /// Counts the codes of the training split [N, P, L] (the empirical prior, fitted in closed form) and
    /// marks the transformer as untrained: the second stage then trains it.
    /// </summary>
    public void Count(Tensor train)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // [N, P, L] -> one bin per (position, head, code)
        var flat = train.reshape(train.shape[0], -1) + arange(Positions * Heads, ScalarType.Int64, train.device).mul_(CodebookSize);
        counts.copy_(flat.reshape(-1).bincount(null, (long)Positions * Heads * CodebookSize).to_type(ScalarType.Float32).reshape(Positions, Heads, CodebookSize));
        trained_epochs.zero_();
    }

    /// <summary>Records that the transformer holds the weights of <paramref name="epochs"/> epochs of training (sampling then uses it).</summary>
    public void MarkTrained(int epochs)
    {
        using var noGrad = no_grad();
        trained_epochs.fill_(epochs);
    }

    static UserInputException NotFitted() => new(
        "this run's prior over codes has not been fitted (its training did not finish); resume its training to the end, then sample");
}
