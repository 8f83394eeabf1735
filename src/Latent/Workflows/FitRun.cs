using Latent.Families;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Models;
using Latent.Models.Pca;
using Latent.Reporting;
using Latent.Runs;

namespace Latent.Workflows;

/// <summary>What <c>latent pca</c> (or any closed-form family) asks for.</summary>
public sealed record FitRequest(ModelOptions Model, DataOptions Data, string Out, string? Command = null);

/// <summary>A finished closed-form fit: its run, how long the fit itself took, and what it reported.</summary>
public sealed record FitResult(RunDirectory Run, double Seconds, int Examples, int Features, Diagnosis Diagnosis);

/// <summary>
/// A run of a closed-form family (<see cref="IClosedForm"/>): loads the data and fits on the training
/// split before anything is written; then writes the whole run — manifest.json (with <c>training: null</c>),
/// model.safetensors, fit.json (fit time and figures) and the figures — into a hidden sibling folder and
/// renames it into place, so that a fit leaves either a complete run or nothing, whenever it is stopped.
/// The validation split is carved with seed 0, as <see cref="RunData"/> does for runs without training
/// options, so that <c>latent encode --split train</c> sees the same rows.
/// </summary>
public static class FitRun
{
    /// <summary>The warnings of the fit (also in fit.log), as a list of lines.</summary>
    public static readonly MetricKey Warnings = new("warnings", "warnings the fit raised (also in fit.log), one line each; empty when there were none");

    /// <summary>The fit.json key <c>fit_seconds</c>: seconds the closed-form fit itself took (data loading excluded).</summary>
    public static readonly MetricKey FitSeconds = new("fit_seconds", "seconds the closed-form fit itself took (data loading excluded)");
    /// <summary>The fit.json key <c>train_examples</c>: rows of the training split the model was fitted on.</summary>
    public static readonly MetricKey TrainExamples = new("train_examples", "rows of the training split the model was fitted on");
    /// <summary>The fit.json key <c>features</c>: features of one example (C·H·W for images).</summary>
    public static readonly MetricKey Features = new("features", "features of one example (C·H·W for images)");

    /// <summary>Fits a closed-form family (PCA) into a new run at <see cref="FitRequest.Out"/>: checks the options and data before anything is written, fits on the training split, writes the manifest, model and fit figures.</summary>
    public static FitResult Start(FitRequest request)
    {
        var family = ModelCatalog.Of(request.Model);
        if (!family.ClosedForm)
            throw new UserInputException($"{family.Name} is trained by gradient descent, not fitted; train it ({nameof(TrainingRun)}.{nameof(TrainingRun.Start)}) instead");
        var run = RunDirectory.New(request.Out);
        request = request with { Data = DataCatalog.Resolve(request.Data) }; // e.g. what transparency became, kept in the manifest
        var data = DataCatalog.Load(request.Data, seed: 0);
        family.Validate(request.Model, data.Shape);

        using var model = family.Create(request.Model, data.Shape);
        var closedForm = (IClosedForm)model;
        var clock = Stopwatch.StartNew();
        var diagnosis = closedForm.Fit(data.Train);
        double seconds = clock.Elapsed.TotalSeconds;
        model.eval();

        var staging = RunDirectory.Staging(run.Path);
        try
        {
            using (RunLock.Acquire(staging.Path, request.Command ?? "latent pca"))
            {
                staging.WriteManifest(new Manifest
                {
                    Family = family.Name, Model = request.Model, Data = request.Data, Shape = data.Shape, Training = null,
                    LabelNames = data.Train.LabelNames, Versions = Versions.Current, Created = DateTimeOffset.Now, Command = request.Command,
                });
                staging.SaveModel(model);
                var fit = new JsonObject
                {
                    [FitSeconds.Name] = seconds,
                    [TrainExamples.Name] = data.Train.Count,
                    [Features.Name] = data.Shape.Size,
                };
                foreach (var (name, value) in diagnosis.Figures) fit[name] = double.IsFinite(value) ? value : null;
                foreach (var (name, text) in diagnosis.Notes ?? new Dictionary<string, string>()) fit[name] = text;
                fit[Warnings.Name] = new JsonArray(diagnosis.Warnings.Select(warning => (JsonNode?)warning).ToArray());
                AtomicFile.WriteAllText(staging.File("fit.json"), fit.ToJsonString(Json.Options));
                foreach (var warning in diagnosis.Warnings) staging.AppendLog("fit.log", $"warning: {warning}");

                RunFigures.DrawAll(staging, model, data.Test);
                if (model is PcaModel pca) PcaFigures.DrawAll(staging.Path, pca);
            }
            staging.MoveTo(run.Path);
        }
        finally
        {
            staging.DeleteIfStaging();
        }
        return new FitResult(run, seconds, data.Train.Count, data.Shape.Size, diagnosis);
    }
}
