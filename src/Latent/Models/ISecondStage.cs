using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>The part of a training recipe that a second stage fixes itself (the rest, such as the device, follows the first stage's).</summary>
/// <param name="Epochs">Passes over the stage's training data.</param>
/// <param name="BatchSize">Examples per step.</param>
/// <param name="LearningRate">Base learning rate of the schedule.</param>
/// <param name="GradClip">Clip of the global gradient norm (0: off).</param>
/// <param name="SeedStream">Mixed into the run's seed, so that the stage's random draws are its own.</param>
public sealed record StageRecipe(int Epochs, int BatchSize, double LearningRate, double GradClip, long SeedStream);

/// <summary>A second stage ready to train: its module (an <see cref="ITrainable"/>), the data the first stage made for it, and how to train it.</summary>
public sealed record SecondStage(string Name, nn.Module Module, DataSplits Data, StageRecipe Recipe);

/// <summary>
/// A model with a second stage, trained once the first is done, on the frozen first stage: a VQ-VAE's
/// prior over its codes. The run workflow asks for it on the selected weights and trains it with the
/// same trainer as every other model (checkpoints, rollbacks, metrics and all).
/// </summary>
public interface ISecondStage
{
    /// <summary>The stage's name, for its files and progress lines.</summary>
    string SecondStageName { get; }

    /// <summary>
    /// Prepares the second stage on <paramref name="data"/> with the current (selected) weights: fits in place
    /// what is fitted in closed form, and returns what remains to be trained, or null when nothing does.
    /// </summary>
    SecondStage? PrepareSecondStage(DataSplits data);

    /// <summary>Records that the stage's module holds the weights of <paramref name="epochs"/> epochs of training, before the model is saved.</summary>
    void SecondStageTrained(int epochs);
}
