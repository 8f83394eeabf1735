namespace Latent.Training;

/// <summary>An <see cref="ITrainingObserver"/> made of delegates, for a program that wants progress without a class of its own.</summary>
/// <param name="progress">Called after every step.</param>
/// <param name="epoch">Called after every epoch.</param>
/// <param name="warning">Called with every warning.</param>
public sealed class TrainingCallbacks(Action<TrainingProgress>? progress = null, Action<EpochMetrics>? epoch = null, Action<string>? warning = null)
    : ITrainingObserver
{
    /// <inheritdoc/>
    public void OnProgress(TrainingProgress value) => progress?.Invoke(value);

    /// <inheritdoc/>
    public void OnEpoch(EpochMetrics metrics) => epoch?.Invoke(metrics);

    /// <inheritdoc/>
    public void OnWarning(string message) => warning?.Invoke(message);
}
