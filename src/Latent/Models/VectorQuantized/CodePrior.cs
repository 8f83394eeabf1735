// The prior over a VQ-VAE's codes, fitted after the VQ-VAE (van den Oord et al. 2017, §3.2: "we fit an
// autoregressive distribution over z" once the encoder, codebook and decoder are trained). Two priors:
//   the empirical one: each position and head independently, with the code frequencies of the training split;
//   the autoregressive one: p(k_1..k_T) = Π p(k_t | k_<t), a small transformer (CodeTransformer).

using System.Diagnostics;
using Latent.Data;
using Latent.Training;
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
    const int BatchSize = 128;
    const double LearningRate = 2e-3;
    const long SeedStream = 0x5052494F52; // "PRIOR": keeps the prior's draws apart from the trainer's

    // [P, L, K]: how often each code occurs at each position and head of the training split.
    private readonly Tensor counts;
    // [1]: epochs the transformer has been fitted for (0: not fitted; sample from the counts).
    private readonly Tensor trained_epochs;
    private readonly CodeTransformer? transformer;

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

    public int Positions { get; }
    public int Heads { get; }
    public int CodebookSize { get; }

    /// <summary>Whether the empirical distribution has been counted.</summary>
    public bool IsFitted => counts.sum().item<float>() > 0;

    /// <summary>Whether the prior is fitted as <paramref name="epochs"/> of transformer training (or counting alone) would leave it.</summary>
    public bool IsFittedFor(int epochs) => IsFitted && (transformer is null || epochs == 0 || trained_epochs.item<float>() == epochs);

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
    public Tensor LogLikelihood(Tensor codes, int batchSize = 500)
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

    /// <summary>
    /// Fits the prior on the codes of the training split [N, P, L]: counts them, then (when the
    /// transformer is on) trains it for <paramref name="epochs"/> with Adam and a cosine schedule,
    /// reporting its negative log-likelihood on <paramref name="validation"/> codes after each epoch.
    /// Every draw is seeded from <paramref name="seed"/>, so fitting twice gives the same prior.
    /// </summary>
    public void Fit(Tensor train, Tensor validation, int epochs, int seed, ITrainingObserver observer)
    {
        using (no_grad())
        {
            counts.zero_();
            // [N, P, L] -> one bin per (position, head, code)
            var flat = train.reshape(train.shape[0], -1) + arange(Positions * Heads, ScalarType.Int64, train.device).mul_(CodebookSize);
            counts.copy_(flat.reshape(-1).bincount(null, (long)Positions * Heads * CodebookSize).to_type(ScalarType.Float32).reshape(Positions, Heads, CodebookSize));
        }
        trained_epochs.zero_();
        if (transformer is null || epochs == 0) return;

        var sequences = train.reshape(train.shape[0], -1); // [N, P·L]
        int examples = (int)sequences.shape[0], stepsPerEpoch = (examples + BatchSize - 1) / BatchSize;
        var schedule = new TrainingOptions { Lr = LearningRate, Epochs = epochs };
        long totalSteps = (long)stepsPerEpoch * epochs, step = 0;
        using var optimizer = new Adam(transformer.named_parameters());
        var clock = Stopwatch.StartNew();
        transformer.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var order = Shuffle.Permutation(examples, Shuffle.Derive(seed ^ SeedStream, epoch));
            double sum = 0;
            for (int batch = 0; batch < stepsPerEpoch; batch++, step++)
            {
                using var scope = NewDisposeScope();
                manual_seed(Shuffle.Derive(seed ^ SeedStream, -1 - step));
                int start = batch * BatchSize, size = Math.Min(BatchSize, examples - start);
                using var index = tensor(order.AsSpan(start, size).ToArray().Select(i => (long)i).ToArray(), device: sequences.device);
                optimizer.ZeroGrad();
                var loss = transformer.NegativeLogLikelihood(sequences.index_select(0, index));
                loss.backward();
                nn.utils.clip_grad_norm_(optimizer.Parameters, 1.0);
                optimizer.Step(schedule.LearningRate(step, totalSteps));
                sum += loss.item<float>() * size;
                double perSecond = (step + 1) * BatchSize / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                observer.OnProgress(new TrainingProgress(epoch, epochs, batch + 1, stepsPerEpoch, step + 1, sum / (start + size), perSecond,
                    TimeSpan.FromSeconds((totalSteps - step - 1) * BatchSize / Math.Max(1e-9, perSecond))));
            }
            trained_epochs.fill_(epoch + 1);
            var values = new Dictionary<string, double> { ["prior_train_nll"] = sum / examples };
            if (validation.shape[0] > 0) values["val_prior_nll"] = ValidationNll(validation.reshape(validation.shape[0], -1));
            values["seconds"] = epochClock.Elapsed.TotalSeconds;
            observer.OnEpoch(new EpochMetrics(epoch + 1, step, values, IsBest: false));
        }
        transformer.eval();
    }

    double ValidationNll(Tensor sequences)
    {
        transformer!.eval();
        using var noGrad = no_grad();
        double sum = 0;
        for (long start = 0; start < sequences.shape[0]; start += 500)
        {
            using var scope = NewDisposeScope();
            var batch = sequences.narrow(0, start, Math.Min(500, sequences.shape[0] - start));
            sum += transformer.NegativeLogLikelihood(batch).item<float>() * batch.shape[0];
        }
        transformer.train();
        return sum / sequences.shape[0];
    }

    static UserInputException NotFitted() => new(
        "this run's prior over codes has not been fitted (its training did not finish); finish it with 'latent train --out DIR --resume', then sample");
}
