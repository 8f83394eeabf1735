namespace Latent.Training;

/// <summary>A moment in training, for progress bars.</summary>
/// <param name="Epoch">0-based epoch in progress.</param>
/// <param name="Epochs">Epochs in all.</param>
/// <param name="BatchInEpoch">Batches of this epoch done.</param>
/// <param name="StepsPerEpoch">Batches per epoch.</param>
/// <param name="Step">Optimiser steps taken in all.</param>
/// <param name="Loss">The epoch's mean training loss so far.</param>
/// <param name="ExamplesPerSecond">Throughput since training (re)started.</param>
/// <param name="Remaining">Estimated time left.</param>
/// <param name="Stage">The stage being trained (e.g. "prior"), or null for a model's main training.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int BatchInEpoch, int StepsPerEpoch, long Step,
                                      double Loss, double ExamplesPerSecond, TimeSpan Remaining, string? Stage = null);

/// <summary>One line of metrics.jsonl: the epoch's train and validation terms and the family's diagnostics.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="Step">Optimiser steps taken when it ended.</param>
/// <param name="Values">Its figures by key (train_*, val_*, diagnostics, lr, seconds).</param>
/// <param name="IsBest">Whether its weights are now the selected ones.</param>
/// <param name="Stage">The stage being trained (e.g. "prior"), or null for a model's main training.</param>
public sealed record EpochMetrics(int Epoch, long Step, IReadOnlyDictionary<string, double> Values, bool IsBest, string? Stage = null);

/// <summary>What the trainer tells the outside world; every member is optional.</summary>
public interface ITrainingObserver
{
    /// <summary>After every step.</summary>
    void OnProgress(TrainingProgress progress) { }
    /// <summary>After every epoch.</summary>
    void OnEpoch(EpochMetrics metrics) { }
    /// <summary>A warning worth a user's attention (a divergence rolled back, posterior collapse, dead codes).</summary>
    void OnWarning(string message) { }
    /// <summary>Something the user should know about how the run is set up (e.g. that images are padded), once, before training.</summary>
    void OnNote(string message) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentObserver : ITrainingObserver
{
    /// <summary>The one instance.</summary>
    public static readonly SilentObserver Instance = new();
}
