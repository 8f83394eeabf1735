using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// The training objective on one batch: <see cref="Total"/> is what the optimiser minimises, and
/// <see cref="Terms"/> names its parts (each a scalar averaged over the batch) for the log.
/// </summary>
public sealed class LossTerms(Tensor total, params (MetricKey Term, Tensor Value)[] terms)
{
    /// <summary>The reconstruction term every family has: a mean squared error per element, or −log p(x|z) in nats for a VAE.</summary>
    public static readonly MetricKey Reconstruction = MetricKey.Term("recon",
        "reconstruction term of the objective: mean squared error per element (cross-entropy per token for token data), or −log p(x|z) per example in nats for a VAE");

    /// <summary>The minimised total, a scalar.</summary>
    public Tensor Total { get; } = total;

    /// <summary>Its named parts, each a scalar.</summary>
    public IReadOnlyList<(MetricKey Term, Tensor Value)> Terms { get; } = terms;
}

/// <summary>Where training stands: for objectives that change over time (KL warm-up, capacity annealing).</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Step">Global optimiser step, 0-based.</param>
/// <param name="StepsPerEpoch">Batches in one epoch.</param>
public sealed record TrainingPosition(int Epoch, long Step, int StepsPerEpoch)
{
    /// <summary>Epochs completed, with the fraction of the current one: 1.5 halfway through the second.</summary>
    public double EpochProgress => StepsPerEpoch == 0 ? Epoch : Epoch + (double)(Step - (long)Epoch * StepsPerEpoch) / StepsPerEpoch;
}

/// <summary>
/// What a loss is computed for: a training step (with its <see cref="Position"/>), or the final
/// objective that validation and evaluation judge a model by (no position: no warm-up, no schedule,
/// no learning side effects such as codebook updates).
/// </summary>
public sealed record LossContext
{
    /// <summary>Where training stands; null for the final objective.</summary>
    public TrainingPosition? Position { get; init; }

    /// <summary>N, the number of examples of the training split (estimators of dataset-level terms need it); 0 when unknown.</summary>
    public long TrainingExamples { get; init; }

    /// <summary>Whether this is a training step (the optimiser will step on the loss).</summary>
    public bool IsTraining => Position is not null;

    /// <summary>A training step at <paramref name="position"/>.</summary>
    public static LossContext Training(TrainingPosition position, long trainingExamples) =>
        new() { Position = position, TrainingExamples = trainingExamples };

    /// <summary>The final objective, as validation and evaluation compute it.</summary>
    public static LossContext Final(long trainingExamples = 0) => new() { TrainingExamples = trainingExamples };
}
