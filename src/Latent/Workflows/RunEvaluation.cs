using System.Text.Json;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models.Sampling;
using Latent.Runs;

namespace Latent.Workflows;

/// <summary><c>latent eval</c>: a run evaluated on the test split of its data (or of other data of the same shape), written to eval.json under the run's lock.</summary>
public static class RunEvaluation
{
    /// <summary>Evaluates the run's selected weights and writes eval.json; returns the figures.</summary>
    /// <param name="run">The run.</param>
    /// <param name="options">What to estimate beyond the reconstruction error (its <see cref="EvaluationOptions.TrainingSplit"/> is filled in here).</param>
    /// <param name="data">Other data of the same shape, or null for the run's own.</param>
    /// <param name="sampler">Where the samples of --sample-quality come from (null: the model's prior).</param>
    /// <param name="samplerGiven">Whether the command line chose the sampler (refused without --sample-quality).</param>
    /// <param name="progress">Where progress lines go.</param>
    public static SortedDictionary<string, double> Evaluate(RunDirectory run, EvaluationOptions options, DataOptions? data = null,
                                                            SamplerOptions? sampler = null, bool samplerGiven = false, Action<string>? progress = null)
    {
        var manifest = run.ReadManifest();
        data ??= manifest.Data;
        options = options with { TrainingSplit = new Lazy<Dataset>(() => RunData.Load(manifest, data, DataSplit.Train)) };
        options.Validate();
        var test = RunData.Load(manifest, data, DataSplit.Test);
        using var model = run.LoadModel(manifest);
        using var runLock = RunLock.Acquire(run.Path, "latent eval");
        using var measures = RunMeasures.Prepare(run, manifest, model, test, options, sampler ?? new SamplerOptions(), samplerGiven, progress ?? (_ => { }));
        var figures = Evaluator.Evaluate(model, test, options);
        foreach (var (key, value) in measures.Measure()) figures[key] = value;
        AtomicFile.WriteAllText(run.EvalPath, JsonSerializer.Serialize(figures, Json.Options));
        return figures;
    }
}
