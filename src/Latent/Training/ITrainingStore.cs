using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>Which checkpoint: the newest one, or the newest one known to be good.</summary>
public enum CheckpointKind
{
    /// <summary>Written at every checkpoint (mid-epoch with a checkpoint interval, and at every epoch's end): where a resume starts.</summary>
    Latest,
    /// <summary>Written at the end of an epoch whose validation was finite: where a rollback after a divergence goes.</summary>
    Good,
}

/// <summary>
/// Where the trainer's results go: checkpoints, the selected weights, the per-epoch metrics and the
/// warnings. A run directory implements it; the trainer never writes a file itself. Everything the
/// trainer hands over has been checked to be finite.
/// </summary>
public interface ITrainingStore
{
    /// <summary>Restores the checkpoint of <paramref name="kind"/> into the model and optimiser; null when there is none.</summary>
    TrainingState? Load(CheckpointKind kind, nn.Module model, Adam optimizer);

    /// <summary>Saves a checkpoint of <paramref name="kind"/>: weights, optimiser moments and the state.</summary>
    void Save(CheckpointKind kind, nn.Module model, Adam optimizer, TrainingState state);

    /// <summary>Saves the weights selected so far (the epoch with the best validation loss), <paramref name="state"/> the state they come from.</summary>
    void SaveSelected(nn.Module model, TrainingState state);

    /// <summary>Records one finished epoch.</summary>
    void AppendEpoch(EpochMetrics metrics);

    /// <summary>Forgets the metrics of epochs after <paramref name="epochsDone"/>: what a resumed or rolled-back run will redo.</summary>
    void ForgetEpochsAfter(int epochsDone);

    /// <summary>Keeps a warning (the trainer also tells its observer).</summary>
    void Warn(string message);
}
