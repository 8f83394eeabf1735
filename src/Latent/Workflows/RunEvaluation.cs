using System.Text.Json;
using Latent.Data;
using Latent.Evaluation;
using Latent.Reporting;
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
        var normalClasses = options.Anomaly ? NormalClasses(data, test) : null;
        using var model = run.LoadModel(manifest);
        using var runLock = RunLock.Acquire(run.Path, "latent eval");
        using var measures = RunMeasures.Prepare(run, manifest, model, test, options, sampler ?? new SamplerOptions(), samplerGiven, progress ?? (_ => { }));
        var figures = Evaluator.Evaluate(model, test, options);
        AnomalyEvaluation? anomaly = null;
        if (normalClasses is not null)
        {
            // Thresholds come from the validation split the run was selected on: normal data only.
            anomaly = AnomalyDetection.Evaluate(model, test, RunData.Load(manifest, manifest.Data, DataSplit.Validation), normalClasses, options.Scoring);
            foreach (var (key, value) in anomaly.Figures) figures[key] = value;
        }
        foreach (var (key, value) in measures.Measure()) figures[key] = value;
        AtomicFile.WriteAllText(run.EvalPath, JsonSerializer.Serialize(figures, Json.Options));
        if (anomaly is not null) AnomalyFigures.DrawAll(run, model, test, anomaly);
        return figures;
    }

    /// <summary>The labels the run was trained on, which <c>--anomaly</c> calls normal.</summary>
    static int[] NormalClasses(DataOptions data, Dataset test)
    {
        if (data.Classes is null)
            throw new UserInputException($"{nameof(EvaluationOptions.Anomaly)} needs a run trained on some of the labels ({nameof(DataOptions.Classes)} 0,3, say); this run saw every label, so no test example is an anomaly",
                nameof(EvaluationOptions.Anomaly), nameof(DataOptions.Classes));
        if (test.Labels is null)
            throw new UserInputException($"{nameof(EvaluationOptions.Anomaly)} needs labels on the test split, and {data.Data} has none; evaluate on labelled data", nameof(EvaluationOptions.Anomaly));
        return DataCatalog.SelectedClasses(data, test)!;
    }
}
