using Latent.Nn;
using System.Globalization;
using System.Text.Json;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// A checkpoint file: weights under <c>model.</c>, optimiser moments under <c>optimizer.</c>, and the
/// <see cref="TrainingState"/> as JSON metadata, in one safetensors file renamed into place, so that a
/// crash mid-write never leaves a checkpoint that cannot be resumed. Non-finite weights or moments are
/// never written.
/// </summary>
internal static class CheckpointFile
{
    const string ModelPrefix = "model.", OptimizerPrefix = "optimizer.";

    public static void Save(string path, nn.Module model, Adam optimizer, TrainingState state)
    {
        var tensors = ModuleWeights.Of(model).Select(t => (ModelPrefix + t.Name, t.Tensor))
            .Concat(optimizer.State().Select(t => (OptimizerPrefix + t.Name, t.Tensor))).ToList();
        if (!Finite.All(tensors.Select(t => t.Item2)))
            throw new InvalidOperationException($"refusing to write non-finite weights or moments to '{path}'");
        var metadata = new Dictionary<string, string>
        {
            ["state"] = JsonSerializer.Serialize(state, Json.Compact),
            ["optimizer_steps"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.Save(path, tensors, metadata);
    }

    public static TrainingState Load(string path, nn.Module model, Adam optimizer)
    {
        if (!File.Exists(path))
            throw new UserInputException($"'{path}' does not exist, so there is nothing to resume; train the run afresh (without {LibraryNames.Resume})", LibraryNames.Resume);
        var (tensors, metadata) = SafeTensors.Load(path);
        try
        {
            if (!metadata.TryGetValue("state", out var json) || !metadata.TryGetValue("optimizer_steps", out var steps))
                throw new UserInputException($"'{path}' carries no training state; train the run afresh (without {LibraryNames.Resume})", LibraryNames.Resume);
            ModuleWeights.Load(model, Strip(tensors, ModelPrefix), path);
            var optimizerState = Strip(tensors, OptimizerPrefix);
            if (optimizer.State().Any(entry => !optimizerState.ContainsKey(entry.Name)))
                throw new UserInputException($"'{path}' lacks optimiser state for this model; train the run afresh (without {LibraryNames.Resume})", LibraryNames.Resume);
            optimizer.Load(optimizerState, long.Parse(steps, CultureInfo.InvariantCulture));
            return JsonSerializer.Deserialize<TrainingState>(json, Json.Options)
                ?? throw new UserInputException($"'{path}' has an empty training state; train the run afresh (without {LibraryNames.Resume})", LibraryNames.Resume);
        }
        catch (Exception error) when (error is JsonException or FormatException or OverflowException)
        {
            throw new UserInputException($"'{path}' has unreadable training state ({error.Message.Split('\n')[0]}); train the run afresh (without {LibraryNames.Resume})", LibraryNames.Resume);
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <summary>The training state a checkpoint records, without keeping its tensors; null when the file does not exist.</summary>
    public static TrainingState? ReadState(string path)
    {
        if (!File.Exists(path)) return null;
        var (tensors, metadata) = SafeTensors.Load(path);
        foreach (var tensor in tensors.Values) tensor.Dispose();
        try
        {
            return metadata.TryGetValue("state", out var json) ? JsonSerializer.Deserialize<TrainingState>(json, Json.Options) : null;
        }
        catch (JsonException error)
        {
            throw new UserInputException($"'{path}' has unreadable training state ({error.Message.Split('\n')[0]}); train the run afresh (without {LibraryNames.Resume})", LibraryNames.Resume);
        }
    }

    static Dictionary<string, Tensor> Strip(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(pair => pair.Key.StartsWith(prefix, StringComparison.Ordinal))
               .ToDictionary(pair => pair.Key[prefix.Length..], pair => pair.Value);
}
