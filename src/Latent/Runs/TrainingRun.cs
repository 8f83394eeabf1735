using Latent.Data;
using Latent.Models;
using Latent.Reporting;
using Latent.Training;
using TorchSharp;

namespace Latent.Runs;

/// <summary>What <c>latent train</c> asks for.</summary>
public sealed record TrainRequest(ModelOptions Model, DataOptions Data, TrainingOptions Training, string Out, string? Command = null);

/// <summary>
/// Starts or resumes a run: checks every option and loads the data before anything is written, so a
/// bad request leaves no half-made run; then writes the manifest, trains, and draws the figures.
/// </summary>
public static class TrainingRun
{
    public static RunDirectory Start(TrainRequest request, ITrainingObserver observer)
    {
        if (ModelCatalog.Of(request.Model) is { ClosedForm: true } closedForm)
            throw new UserInputException($"{closedForm.Name} is fitted in closed form, not trained; run 'latent {closedForm.Name} --data {request.Data.Data}' instead");
        request.Training.Validate();
        var run = RunDirectory.New(request.Out);
        request = request with { Data = DataCatalog.Resolve(request.Data) }; // e.g. a text vocabulary, kept in the manifest
        var data = DataCatalog.Load(request.Data, request.Training.Seed);
        var family = ModelCatalog.Of(request.Model);
        request.Model.Validate(data.Shape);

        if (request.Model.ConvPadding(data.Shape) is { Pads: true } padding) observer.OnNote(padding.Describe());
        torch.manual_seed(request.Training.Seed);
        using var model = family.Create(request.Model, data.Shape);
        run.WriteManifest(new Manifest
        {
            Family = family.Name, Model = request.Model, Data = request.Data, Shape = data.Shape, Training = request.Training,
            LabelNames = data.Train.LabelNames, Versions = Versions.Current, Created = DateTimeOffset.Now, Command = request.Command,
        });
        new Trainer(request.Training, observer).Fit(model, data, run, resume: false);
        Finish(run, data, request.Training.Seed, observer);
        return run;
    }

    /// <summary>Continues a run from checkpoint/last.safetensors; <paramref name="epochs"/> may extend it.</summary>
    public static RunDirectory Resume(string path, int? epochs, ITrainingObserver observer)
    {
        var run = RunDirectory.Open(path);
        var manifest = run.ReadManifest();
        var training = manifest.Training
            ?? throw new UserInputException($"'{path}' is a closed-form {manifest.Family} fit with nothing to resume; fit it again instead");
        if (epochs is int more)
        {
            training = training with { Epochs = more };
            training.Validate();
            run.WriteManifest(manifest with { Training = training });
        }
        var data = DataCatalog.Load(manifest.Data, training.Seed);
        if (manifest.Model.ConvPadding(manifest.Shape) is { Pads: true } padding) observer.OnNote(padding.Describe());
        torch.manual_seed(training.Seed);
        using var model = ModelCatalog.Find(manifest.Family).Create(manifest.Model, manifest.Shape);
        new Trainer(training, observer).Fit(model, data, run, resume: true);
        Finish(run, data, training.Seed, observer);
        return run;
    }

    /// <summary>
    /// On the selected (best) weights: fits a second stage where the family has one (a VQ-VAE's prior
    /// over codes) and saves the model again, then draws the figures every finished run gets.
    /// </summary>
    static void Finish(RunDirectory run, DataSplits data, int seed, ITrainingObserver observer)
    {
        using var model = run.LoadModel(run.ReadManifest());
        if (model is ISecondStage stage)
        {
            stage.FitSecondStage(data, seed, observer);
            run.SaveModel(model);
        }
        RunFigures.DrawAll(run, model, data.Test);
    }
}
