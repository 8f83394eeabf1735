using System.Text.Json;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>Where training stands; with the weights and optimiser moments, enough to resume exactly.</summary>
public sealed record TrainingState
{
    /// <summary>0-based epoch in progress (equal to the epoch count when training is done).</summary>
    public int Epoch { get; init; }
    /// <summary>Batches of <see cref="Epoch"/> already done.</summary>
    public int BatchInEpoch { get; init; }
    /// <summary>Optimiser steps taken in all.</summary>
    public long Step { get; init; }
    public double BestValidationLoss { get; init; } = double.PositiveInfinity;
    public int BestEpoch { get; init; } = -1;
    /// <summary>Running sums of the loss terms over the epoch in progress (weighted by batch size).</summary>
    public Dictionary<string, double> TermSums { get; init; } = [];
    public long ExamplesInEpoch { get; init; }
    /// <summary>Factor on the scheduled learning rate: halved at every rollback after a divergence.</summary>
    public double LearningRateScale { get; init; } = 1;
    /// <summary>Rollbacks after divergences so far.</summary>
    public int Rollbacks { get; init; }
}

/// <summary>
/// <c>checkpoint/last.safetensors</c>: weights under <c>model.</c>, optimiser moments under
/// <c>optimizer.</c>, and the <see cref="TrainingState"/> as JSON metadata. One file, renamed into
/// place, so a crash mid-write never leaves a checkpoint that cannot be resumed.
/// </summary>
public static class Checkpoint
{
    const string ModelPrefix = "model.", OptimizerPrefix = "optimizer.";

    public static void Save(string path, nn.Module model, Adam optimizer, TrainingState state)
    {
        var tensors = RunDirectory.Weights(model).Select(t => (ModelPrefix + t.Name, t.Tensor))
            .Concat(optimizer.State().Select(t => (OptimizerPrefix + t.Name, t.Tensor)));
        var metadata = new Dictionary<string, string>
        {
            ["state"] = JsonSerializer.Serialize(state, Json.Compact),
            ["optimizer_steps"] = optimizer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        SafeTensors.Save(path, tensors, metadata);
    }

    public static TrainingState Load(string path, nn.Module model, Adam optimizer)
    {
        if (!File.Exists(path))
            throw new UserInputException($"'{path}' does not exist, so there is nothing to resume; train the run again without --resume");
        var (tensors, metadata) = SafeTensors.Load(path);
        try
        {
            if (!metadata.TryGetValue("state", out var json) || !metadata.TryGetValue("optimizer_steps", out var steps))
                throw new UserInputException($"'{path}' carries no training state; train the run again without --resume");
            RunDirectory.LoadWeights(model, Strip(tensors, ModelPrefix), path);
            var optimizerState = Strip(tensors, OptimizerPrefix);
            if (optimizer.State().Any(entry => !optimizerState.ContainsKey(entry.Name)))
                throw new UserInputException($"'{path}' lacks optimiser state for this model; train the run again without --resume");
            optimizer.Load(optimizerState, long.Parse(steps, System.Globalization.CultureInfo.InvariantCulture));
            return JsonSerializer.Deserialize<TrainingState>(json, Json.Options)!;
        }
        catch (Exception error) when (error is JsonException or FormatException)
        {
            throw new UserInputException($"'{path}' has unreadable training state ({error.Message}); train the run again without --resume");
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(pair => pair.Key.StartsWith(prefix, StringComparison.Ordinal))
               .ToDictionary(pair => pair.Key[prefix.Length..], pair => pair.Value);
}
