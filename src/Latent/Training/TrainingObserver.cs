namespace Latent.Training;

/// <summary>A moment in training, for progress bars.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int BatchInEpoch, int StepsPerEpoch, long Step,
                                      double Loss, double ExamplesPerSecond, TimeSpan Remaining);

/// <summary>One line of metrics.jsonl: the epoch's train and validation terms and the family's diagnostics.</summary>
public sealed record EpochMetrics(int Epoch, long Step, IReadOnlyDictionary<string, double> Values, bool IsBest);

/// <summary>What the trainer tells the outside world; every member is optional.</summary>
public interface ITrainingObserver
{
    void OnProgress(TrainingProgress progress) { }
    void OnEpoch(EpochMetrics metrics) { }
    void OnWarning(string message) { }
    /// <summary>Something the user should know about how the run is set up (e.g. that images are padded), once, before training.</summary>
    void OnNote(string message) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class SilentObserver : ITrainingObserver
{
    public static readonly SilentObserver Instance = new();
}
