using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// The trainer's results in a run directory. The main stage writes <c>checkpoint/last.safetensors</c>,
/// <c>checkpoint/good.safetensors</c>, <c>model.safetensors</c>, <c>metrics.jsonl</c> and <c>train.log</c>;
/// a named stage (a VQ-VAE's prior) writes <c>checkpoint/STAGE-last.safetensors</c>,
/// <c>checkpoint/STAGE-good.safetensors</c> and <c>STAGE-metrics.jsonl</c>, and saves its selected weights
/// through <paramref name="saveSelected"/> (into the whole model's file).
/// </summary>
/// <param name="run">The run directory.</param>
/// <param name="stage">Null for the main stage, else the stage's name.</param>
/// <param name="saveSelected">How a stage's selected weights are saved; the main stage writes model.safetensors itself.</param>
public sealed class RunTrainingStore(RunDirectory run, string? stage = null, Action<nn.Module, TrainingState>? saveSelected = null) : ITrainingStore
{
    string Prefix => stage is null ? "" : stage + "-";

    /// <summary>The file of a checkpoint of <paramref name="kind"/>.</summary>
    public string CheckpointPath(CheckpointKind kind) =>
        Path.Combine(run.CheckpointDirectory, $"{Prefix}{(kind == CheckpointKind.Latest ? "last" : "good")}.safetensors");

    /// <summary>The metrics of this stage.</summary>
    public string MetricsPath => run.File($"{Prefix}metrics.jsonl");

    /// <inheritdoc/>
    public TrainingState? Load(CheckpointKind kind, nn.Module model, Adam optimizer)
    {
        var path = CheckpointPath(kind);
        return File.Exists(path) ? CheckpointFile.Load(path, model, optimizer) : null;
    }

    /// <inheritdoc/>
    public void Save(CheckpointKind kind, nn.Module model, Adam optimizer, TrainingState state) =>
        CheckpointFile.Save(CheckpointPath(kind), model, optimizer, state);

    /// <inheritdoc/>
    public void SaveSelected(nn.Module model, TrainingState state)
    {
        if (saveSelected is not null) saveSelected(model, state);
        else run.SaveModel(model);
    }

    /// <inheritdoc/>
    public void AppendEpoch(EpochMetrics metrics) => MetricsLog.Append(MetricsPath, metrics.Epoch, metrics.Step, metrics.Values);

    /// <inheritdoc/>
    public void ForgetEpochsAfter(int epochsDone) => MetricsLog.TruncateAfter(MetricsPath, epochsDone);

    /// <inheritdoc/>
    public void Warn(string message) => run.AppendLog("train.log", $"{(stage is null ? "" : stage + ": ")}warning: {message}");

    /// <summary>Deletes this stage's checkpoints and metrics: what a stage that must start again leaves behind.</summary>
    public void Clear()
    {
        foreach (var kind in new[] { CheckpointKind.Latest, CheckpointKind.Good }) File.Delete(CheckpointPath(kind));
        File.Delete(MetricsPath);
    }
}
