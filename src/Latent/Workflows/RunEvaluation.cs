using System.Text.Json;
using Latent.Data;
using Latent.Evaluation;
using Latent.Runs;

namespace Latent.Workflows;

/// <summary><c>latent eval</c>: a run evaluated on the test split of its data (or of other data of the same shape), written to eval.json under the run's lock.</summary>
public static class RunEvaluation
{
    /// <summary>Evaluates the run's selected weights and writes eval.json; returns the figures.</summary>
    /// <param name="run">The run.</param>
    /// <param name="options">What to estimate beyond the reconstruction error (its <see cref="EvaluationOptions.TrainingSplit"/> is filled in here).</param>
    /// <param name="data">Other data of the same shape, or null for the run's own.</param>
    public static SortedDictionary<string, double> Evaluate(RunDirectory run, EvaluationOptions options, DataOptions? data = null)
    {
        var manifest = run.ReadManifest();
        data ??= manifest.Data;
        options = options with { TrainingSplit = new Lazy<Dataset>(() => RunData.Load(manifest, data, DataSplit.Train)) };
        options.Validate();
        var test = RunData.Load(manifest, data, DataSplit.Test);
        using var model = run.LoadModel(manifest);
        using var runLock = RunLock.Acquire(run.Path, "latent eval");
        var figures = Evaluator.Evaluate(model, test, options);
        AtomicFile.WriteAllText(run.EvalPath, JsonSerializer.Serialize(figures, Json.Options));
        return figures;
    }
}
