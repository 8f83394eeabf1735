using Latent.Nn;
using Latent.Data;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Runs;
using Latent.Workflows;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Training;

public sealed class TrainerTests
{
    static TrainRequest Request(string outPath, int checkpointEvery = 0) => new(
        new PlainOptions { Hidden = [64], LatentDim = 8 },
        new DataOptions { Data = "shapes", Limit = 640 },
        new TrainingOptions { Epochs = 3, BatchSize = 64, CheckpointEvery = checkpointEvery, Seed = 5 },
        outPath);


    static Dictionary<string, Tensor> Weights(string path) => SafeTensors.Load(path).Tensors;

    static void AssertSameWeights(string expected, string actual)
    {
        var (a, b) = (Weights(expected), Weights(actual));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.True(a[key].SameAs(b[key]), $"{key} differs");
    }

    [Fact]
    public void A_run_leaves_manifest_weights_checkpoint_metrics_and_figure()
    {
        using var folder = new TempDirectory();
        var run = TrainingRun.Start(Request(folder.File("run")), SilentObserver.Instance);
        foreach (var name in new[] { "manifest.json", "model.safetensors", "checkpoint/last.safetensors", "metrics.jsonl", "reconstructions.png" })
            Assert.True(File.Exists(run.File(name)), name);
        var rows = MetricsLog.Read(run.MetricsPath);
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, rows.Select(row => row["epoch"]));
        Assert.All(rows, row => Assert.Contains("val_recon", row.Keys));
        Assert.Equal(27, rows[^1]["step"]); // 576 training examples in batches of 64, three times
        Assert.True(rows[^1]["train_loss"] < rows[0]["train_loss"]);
    }

    [Fact]
    public void The_same_seed_gives_bit_identical_weights()
    {
        using var folder = new TempDirectory();
        TrainingRun.Start(Request(folder.File("a")), SilentObserver.Instance);
        TrainingRun.Start(Request(folder.File("b")), SilentObserver.Instance);
        AssertSameWeights(folder.File("a/checkpoint/last.safetensors"), folder.File("b/checkpoint/last.safetensors"));
    }

    [Theory]
    [InlineData(9)]  // at an epoch boundary
    [InlineData(13)] // mid-epoch, from a step checkpoint
    public void An_interrupted_run_resumes_to_the_same_weights_as_an_uninterrupted_one(long interruptAt)
    {
        using var folder = new TempDirectory();
        TrainingRun.Start(Request(folder.File("whole"), checkpointEvery: 4), SilentObserver.Instance);

        Assert.Throws<OperationCanceledException>(() =>
            TrainingRun.Start(Request(folder.File("resumed"), checkpointEvery: 4), new InterruptAt(interruptAt)));
        TrainingRun.Resume(folder.File("resumed"), epochs: null, SilentObserver.Instance);

        AssertSameWeights(folder.File("whole/checkpoint/last.safetensors"), folder.File("resumed/checkpoint/last.safetensors"));
        AssertSameWeights(folder.File("whole/model.safetensors"), folder.File("resumed/model.safetensors"));
        var whole = MetricsLog.Read(folder.File("whole/metrics.jsonl"));
        var resumed = MetricsLog.Read(folder.File("resumed/metrics.jsonl"));
        Assert.Equal(whole.Select(row => row["train_loss"]), resumed.Select(row => row["train_loss"]));
        Assert.Equal(whole.Select(row => row["val_loss"]), resumed.Select(row => row["val_loss"]));
    }

    [Fact]
    public void A_bad_request_writes_nothing()
    {
        using var folder = new TempDirectory();
        var outPath = folder.File("run");
        Assert.Throws<UserInputException>(() => TrainingRun.Start(Request(outPath) with { Data = new DataOptions { Data = "csv:/missing.csv" } }, SilentObserver.Instance));
        Assert.Throws<UserInputException>(() => TrainingRun.Start(Request(outPath) with { Model = new PlainOptions { LatentDim = 0 } }, SilentObserver.Instance));
        Assert.Throws<UserInputException>(() => TrainingRun.Start(Request(outPath) with { Model = new PlainOptions { Arch = Architecture.Conv, Channels = [4, 4, 4, 4, 4, 4] } }, SilentObserver.Instance));
        Assert.False(Directory.Exists(outPath));
    }
}
