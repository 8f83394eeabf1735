using Latent.Families;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Reporting;
using Latent.Runs;
using Latent.Training;
using TorchSharp;

namespace Latent.Workflows;

/// <summary>What <c>latent train</c> asks for.</summary>
/// <param name="Model">The family's options (the family is the options' type).</param>
/// <param name="Data">Where the data comes from.</param>
/// <param name="Training">How to train.</param>
/// <param name="Out">The run directory to create.</param>
/// <param name="Command">The command line, recorded in the manifest.</param>
public sealed record TrainRequest(ModelOptions Model, DataOptions Data, TrainingOptions Training, string Out, string? Command = null);

/// <summary>
/// Starts or resumes a run: checks every option, the device and the data, and builds the model,
/// before anything is written, so a bad request leaves no half-made run and a failed resume leaves
/// the run as it was; holds the run's lock while it writes; trains; trains the second stage where the
/// family has one (a VQ-VAE's prior) with the same trainer; and draws the figures.
/// </summary>
public static class TrainingRun
{
    /// <summary>Starts a new run at <see cref="TrainRequest.Out"/> and trains it to the end, reporting progress to <paramref name="observer"/>; returns the finished run.</summary>
    public static RunDirectory Start(TrainRequest request, ITrainingObserver observer)
    {
        var family = ModelCatalog.Of(request.Model);
        if (family.ClosedForm)
            throw new UserInputException($"{family.Name} is fitted in closed form, not trained; fit it ({nameof(FitRun)}.{nameof(FitRun.Start)}) instead");
        request.Training.Validate();
        Devices.Resolve(request.Training.Device);
        var run = RunDirectory.New(request.Out);
        request = request with { Data = DataCatalog.Resolve(request.Data) }; // e.g. a text vocabulary, kept in the manifest
        var data = DataCatalog.Load(request.Data, request.Training.Seed);
        if (request.Model.Uses(nameof(ModelOptions.Condition)) && request.Model.Condition == Conditioning.Label)
            request = request with { Model = request.Model with { ConditionClasses = ConditionClasses(data) } };
        family.Validate(request.Model, data.Shape);
        request.Model.ValidateTrainingSet(data.Train.Count);

        using var runLock = RunLock.Acquire(run.Path, request.Command ?? "latent train");
        RunDirectory.New(request.Out); // again, under the lock: another writer may have started the same folder meanwhile
        if (request.Model.ConvPadding(data.Shape) is { Pads: true } padding) observer.OnNote(padding.Describe());
        torch.manual_seed(request.Training.Seed);
        using var model = family.Create(request.Model, data.Shape);
        run.WriteManifest(new Manifest
        {
            Family = family.Name, Model = request.Model, Data = request.Data, Shape = data.Shape, Training = request.Training,
            LabelNames = data.Train.LabelNames, Versions = Versions.Current, Created = DateTimeOffset.Now, Command = request.Command,
        });
        var trainer = new Trainer(request.Training, observer, new Evaluator.EpochDiagnostics(model).Diagnose);
        trainer.Fit(model, data, new RunTrainingStore(run), resume: false);
        Finish(run, data, request.Training, observer, firstStageChanged: true);
        return run;
    }

    /// <summary>K for <c>Condition label</c>: the classes of the data (over every split); a one-line refusal for data without labels.</summary>
    static int ConditionClasses(DataSplits data) => data.Train.Labels is null
        ? throw new UserInputException($"{nameof(ModelOptions.Condition)} label needs data with labels, and {data.Shape} from this source have none; pass {nameof(ModelOptions.Condition)} none, or data with labels (shapes, fashion-mnist, a csv with a label column)", nameof(ModelOptions.Condition))
        : new[] { data.Train, data.Validation, data.Test }.Max(split => split.ClassCount);

    /// <summary>Continues a run from its latest checkpoint; <paramref name="epochs"/> may extend it (never shorten it).</summary>
    public static RunDirectory Resume(string path, int? epochs, ITrainingObserver observer)
    {
        var run = RunDirectory.Open(path);
        using var runLock = RunLock.Acquire(run.Path, "latent train --resume");
        run.CheckWritable();
        var manifest = run.ReadManifest();
        var training = manifest.Training
            ?? throw new UserInputException($"'{path}' is a closed-form {manifest.Family} fit with nothing to resume; fit it again instead");
        var store = new RunTrainingStore(run);
        int done = CheckpointFile.ReadState(store.CheckpointPath(CheckpointKind.Latest))?.Epoch ?? 0;
        if (epochs is int more)
        {
            training = training with { Epochs = more };
            training.Validate();
            if (more < done)
                throw new UserInputException($"'{path}' has already trained {done} epochs, so {nameof(TrainingOptions.Epochs)} {more} would do nothing; pass {nameof(TrainingOptions.Epochs)} {done} or more (or leave it out)",
                    nameof(TrainingOptions.Epochs));
        }
        Devices.Resolve(training.Device);
        var data = DataCatalog.Load(manifest.Data, training.Seed);
        if (data.Shape != manifest.Shape)
            throw new UserInputException($"{manifest.Data.Data} now holds {data.Shape} but '{path}' was trained on {manifest.Shape}; restore the data the run was trained on");
        if (manifest.Model.ConvPadding(manifest.Shape) is { Pads: true } padding) observer.OnNote(padding.Describe());
        torch.manual_seed(training.Seed);
        using var model = ModelCatalog.Find(manifest.Family).Create(manifest.Model, manifest.Shape);
        // Everything checked: only now does the run change.
        if (epochs is not null && training != manifest.Training) run.WriteManifest(manifest with { Training = training });
        var trainer = new Trainer(training, observer, new Evaluator.EpochDiagnostics(model).Diagnose);
        trainer.Fit(model, data, store, resume: true);
        Finish(run, data, training, observer, firstStageChanged: trainer.StepsTaken > 0);
        return run;
    }

    /// <summary>
    /// On the selected (best) weights: trains the second stage where the family has one (a VQ-VAE's prior
    /// over codes) — afresh when the first stage changed, else resuming it — then draws the figures every
    /// finished run gets, with the weights as saved.
    /// </summary>
    static void Finish(RunDirectory run, DataSplits data, TrainingOptions training, ITrainingObserver observer, bool firstStageChanged)
    {
        var manifest = run.ReadManifest();
        using (var model = run.LoadModel(manifest))
        {
            if (model is ISecondStage second)
            {
                var store = new RunTrainingStore(run, second.SecondStageName, (_, state) =>
                {
                    second.SecondStageTrained(state.Epoch);
                    run.SaveModel(model);
                });
                if (firstStageChanged) store.Clear();
                var stage = second.PrepareSecondStage(data);
                if (stage is null) run.SaveModel(model);
                else
                {
                    var recipe = stage.Recipe;
                    var options = training with
                    {
                        Epochs = recipe.Epochs, BatchSize = recipe.BatchSize, Lr = recipe.LearningRate, GradClip = recipe.GradClip,
                        Seed = (int)(Shuffle.Derive(training.Seed, recipe.SeedStream) & int.MaxValue),
                        WeightDecay = 0, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.Cosine, Warmup = new TrainingOptions().Warmup,
                    };
                    new Trainer(options, observer, stage: stage.Name).Fit(stage.Module, stage.Data, store, resume: !firstStageChanged);
                }
            }
        }
        using var selected = run.LoadModel(manifest);
        RunFigures.DrawAll(run, selected, data.Test);
    }
}
