using Latent.Data;
using Latent.Training;

namespace Latent.Models;

/// <summary>
/// A model with a second stage fitted once the trainer is done with the first, on the frozen first
/// stage: a VQ-VAE's prior over its codes. <see cref="Runs.TrainingRun"/> calls it when training
/// ends, on the selected (best) weights, then saves the model again; the trainer stays unaware of it.
/// </summary>
public interface ISecondStage
{
    /// <summary>Fits the second stage in place; every random draw derives from <paramref name="seed"/>.</summary>
    void FitSecondStage(DataSplits data, int seed, ITrainingObserver observer);
}
