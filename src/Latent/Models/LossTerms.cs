using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// The training objective on one batch: <see cref="Total"/> is what the optimiser minimises, and
/// <see cref="Terms"/> names its parts (each a scalar averaged over the batch) for the log.
/// </summary>
public sealed class LossTerms(Tensor total, params (string Name, Tensor Value)[] terms)
{
    public Tensor Total { get; } = total;
    public IReadOnlyList<(string Name, Tensor Value)> Terms { get; } = terms;
}

/// <summary>Where training stands, for objectives that change over time (KL warm-up, EMA decay).</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Step">Global optimiser step, 0-based.</param>
/// <param name="StepsPerEpoch">Batches in one epoch.</param>
/// <param name="Validating">True when the loss is computed for validation, where the objective is the final one.</param>
public sealed record TrainingStep(int Epoch, long Step, int StepsPerEpoch, bool Validating = false)
{
    /// <summary>Epochs completed, with the fraction of the current one: 1.5 halfway through the second.</summary>
    public double EpochProgress => StepsPerEpoch == 0 ? Epoch : Epoch + (double)(Step - (long)Epoch * StepsPerEpoch) / StepsPerEpoch;

    /// <summary>What a finished model is judged by: no warm-up, no schedules.</summary>
    public static readonly TrainingStep Final = new(int.MaxValue / 2, long.MaxValue / 2, 0, Validating: true);
}
