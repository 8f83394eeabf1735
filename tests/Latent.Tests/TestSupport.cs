using Latent.Data;
using Latent.Data.Sources;

[assembly: CollectionBehavior(DisableTestParallelization = true)] // tests share torch's global generator and the console

namespace Latent.Tests;

/// <summary>A temporary folder, deleted with everything in it when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "latent-tests", Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Small, seeded data for fast tests.</summary>
public static class TestData
{
    /// <summary>A few hundred shapes, split like a real source.</summary>
    public static DataSplits Shapes(int count = 256) =>
        new(ShapesSource.Generate(count, seed: 11), ShapesSource.Generate(64, seed: 12), ShapesSource.Generate(64, seed: 13));

    public static bool FashionMnistInstalled => DataCatalog.FashionMnistInstalled();
}

public static class TensorAssertions
{
    /// <summary>Same shape, same dtype, every element bit-identical.</summary>
    public static bool SameAs(this TorchSharp.torch.Tensor actual, TorchSharp.torch.Tensor expected) =>
        actual.shape.SequenceEqual(expected.shape) && actual.dtype == expected.dtype && actual.eq(expected).all().item<bool>();
}

static class TestAssemblyInitializer
{
    /// <summary>Tests may touch torch before any Latent type: apply Latent's native settings first.</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Initialize() => NativeRuntime.Configure();
}

/// <summary>Stops training, as a kill would, once a given step is reached.</summary>
public sealed class InterruptAt(long step) : Latent.Training.ITrainingObserver
{
    public void OnProgress(Latent.Training.TrainingProgress progress)
    {
        if (progress.Step == step) throw new OperationCanceledException("interrupted");
    }
}

/// <summary>Second stages trained the way the run workflow trains them, with the shared trainer and an in-memory store.</summary>
public static class Stages
{
    /// <summary>Prepares and trains the model's second stage (a VQ-VAE's prior) on <paramref name="data"/>.</summary>
    public static void Train(Latent.Models.ISecondStage model, DataSplits data, int seed)
    {
        var stage = model.PrepareSecondStage(data);
        if (stage is null) return;
        using var store = new Latent.Training.InMemoryTrainingStore();
        var recipe = stage.Recipe;
        var options = new Latent.Training.TrainingOptions { Epochs = recipe.Epochs, BatchSize = recipe.BatchSize, Lr = recipe.LearningRate, GradClip = recipe.GradClip, Seed = seed };
        new Latent.Training.Trainer(options, Latent.Training.SilentObserver.Instance).Fit(stage.Module, stage.Data, store, resume: false);
        store.RestoreSelected(stage.Module);
        model.SecondStageTrained(recipe.Epochs);
    }

    /// <summary>Counts <paramref name="train"/> codes [N, P, L] into the prior and, for <paramref name="epochs"/> &gt; 0, trains its transformer on them.</summary>
    public static void Fit(Latent.Models.VectorQuantized.CodePrior prior, TorchSharp.torch.Tensor train, TorchSharp.torch.Tensor validation, int epochs, int seed)
    {
        prior.Count(train);
        if (epochs == 0 || prior.Transformer is null) return;
        long length = (long)prior.Positions * prior.Heads;
        var shape = DataShape.Tokens((int)length, prior.CodebookSize);
        var splits = new DataSplits(new Dataset(train.reshape(train.shape[0], length).clone(), shape),
                                    new Dataset(validation.reshape(validation.shape[0], length).clone(), shape),
                                    new Dataset(TorchSharp.torch.zeros(0, length, TorchSharp.torch.ScalarType.Int64), shape));
        using var store = new Latent.Training.InMemoryTrainingStore();
        var recipe = Latent.Models.VectorQuantized.CodePrior.Recipe(epochs);
        var options = new Latent.Training.TrainingOptions { Epochs = epochs, BatchSize = recipe.BatchSize, Lr = recipe.LearningRate, GradClip = recipe.GradClip, Seed = seed };
        new Latent.Training.Trainer(options, Latent.Training.SilentObserver.Instance).Fit(prior.Transformer, splits, store, resume: false);
        store.RestoreSelected(prior.Transformer);
        prior.MarkTrained(epochs);
    }
}
