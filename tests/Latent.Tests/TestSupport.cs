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
