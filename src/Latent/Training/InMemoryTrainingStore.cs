using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>
/// A training store that keeps everything in memory: checkpoints as copies of the weights and moments,
/// the selected weights, the metrics and the warnings. For training a model inside a program without a
/// run directory (and for tests); nothing is written to disk.
/// </summary>
public sealed class InMemoryTrainingStore : ITrainingStore, IDisposable
{
    sealed record Snapshot(Dictionary<string, Tensor> Weights, Dictionary<string, Tensor> Moments, long OptimizerSteps, TrainingState State) : IDisposable
    {
        /// <summary>Frees the snapshot's tensors.</summary>
        public void Dispose()
        {
            foreach (var tensor in Weights.Values.Concat(Moments.Values)) tensor.Dispose();
        }
    }

    readonly Dictionary<CheckpointKind, Snapshot> _checkpoints = [];
    readonly List<EpochMetrics> _epochs = [];
    readonly List<string> _warnings = [];
    Dictionary<string, Tensor>? _selected;

    /// <summary>The recorded epochs, in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>The warnings, in order.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Copies the selected weights (the best epoch's) into <paramref name="model"/>; false before the first epoch ends.</summary>
    public bool RestoreSelected(nn.Module model)
    {
        if (_selected is null) return false;
        using var noGrad = no_grad();
        foreach (var (name, target) in model.state_dict()) target.copy_(_selected[name]);
        return true;
    }

    /// <inheritdoc/>
    public TrainingState? Load(CheckpointKind kind, nn.Module model, Adam optimizer)
    {
        if (!_checkpoints.TryGetValue(kind, out var snapshot)) return null;
        using (no_grad())
            foreach (var (name, target) in model.state_dict()) target.copy_(snapshot.Weights[name]);
        optimizer.Load(snapshot.Moments, snapshot.OptimizerSteps);
        return snapshot.State;
    }

    /// <inheritdoc/>
    public void Save(CheckpointKind kind, nn.Module model, Adam optimizer, TrainingState state)
    {
        if (_checkpoints.Remove(kind, out var old)) old.Dispose();
        _checkpoints[kind] = new Snapshot(Copy(model.state_dict().Select(pair => (pair.Key, pair.Value))),
                                          Copy(optimizer.State()), optimizer.StepCount, state);
    }

    /// <inheritdoc/>
    public void SaveSelected(nn.Module model, TrainingState state)
    {
        if (_selected is not null) foreach (var tensor in _selected.Values) tensor.Dispose();
        _selected = Copy(model.state_dict().Select(pair => (pair.Key, pair.Value)));
    }

    /// <inheritdoc/>
    public void AppendEpoch(EpochMetrics metrics) => _epochs.Add(metrics);

    /// <inheritdoc/>
    public void ForgetEpochsAfter(int epochsDone) => _epochs.RemoveAll(metrics => metrics.Epoch > epochsDone);

    /// <inheritdoc/>
    public void Warn(string message) => _warnings.Add(message);

    static Dictionary<string, Tensor> Copy(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        using var noGrad = no_grad();
        return tensors.ToDictionary(entry => entry.Name, entry => entry.Tensor.detach().clone());
    }

    /// <summary>Frees the checkpoints and the selected weights it holds.</summary>
    public void Dispose()
    {
        foreach (var snapshot in _checkpoints.Values) snapshot.Dispose();
        if (_selected is not null) foreach (var tensor in _selected.Values) tensor.Dispose();
    }
}
