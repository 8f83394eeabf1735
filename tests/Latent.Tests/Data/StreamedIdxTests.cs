using Latent.Data;
using Latent.Data.Sources;
using Latent.Families;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Data;

/// <summary>
/// IDX sets streamed from their memory-mapped bytes (a raw file in place, a gzip one through its prepared,
/// checksummed copy) against the same sets held in memory.
/// </summary>
public sealed class StreamedIdxTests
{
    /// <summary>Runs <paramref name="body"/> with <see cref="PreparedCache.Folder"/> in a folder of its own.</summary>
    static void WithCache(Action<string> body)
    {
        using var cache = new TempDirectory();
        var before = Environment.GetEnvironmentVariable(PreparedCache.Variable);
        Environment.SetEnvironmentVariable(PreparedCache.Variable, cache.Path);
        try { body(cache.Path); }
        finally { Environment.SetEnvironmentVariable(PreparedCache.Variable, before); }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_streamed_set_reads_bit_for_bit_what_memory_holds(bool gzip) => WithCache(cache =>
    {
        using var folder = new TempDirectory();
        IdxSourceTests.WriteSet(folder.Path, trainCount: 50, testCount: 12, gzip, side: 5);
        var (heldTrain, heldTest) = IdxSource.Load(folder.Path, labelNames: null, DataStorage.Memory);
        var (train, test) = IdxSource.Load(folder.Path, labelNames: null, DataStorage.Stream);
        Assert.True(train.IsStreamed && test.IsStreamed);
        Assert.Equal(heldTrain.Labels, train.Labels);
        int[] order = [49, 0, 13, 13, 31];
        Assert.True(heldTrain.Gather(order).SameAs(train.Gather(order)));
        Assert.True(heldTest.Features.SameAs(test.Head(12)));
        Assert.True(heldTrain.Subset([7, 40]).Features.SameAs(train.Subset([7, 40]).Gather([0, 1])));
        // A raw file is mapped in place; only a gzip one needs a prepared copy (with its checksum).
        Assert.Equal(gzip ? 4 : 0, Directory.GetFiles(cache).Length);
    });

    [Fact]
    public void A_prepared_copy_is_made_once_and_made_again_when_it_is_damaged_truncated_or_its_source_changes() => WithCache(cache =>
    {
        using var folder = new TempDirectory();
        IdxSourceTests.WriteSet(folder.Path, trainCount: 40, testCount: 10, gzip: true, side: 4);
        var held = IdxSource.Load(folder.Path, labelNames: null, DataStorage.Memory).Train;
        Tensor Streamed() => IdxSource.Load(folder.Path, labelNames: null, DataStorage.Stream).Train.Head(40);

        Assert.True(held.Features.SameAs(Streamed()));
        var copy = Directory.GetFiles(cache, "idx-train-images*.bin").Single();
        var madeAt = File.GetLastWriteTimeUtc(copy);
        Assert.True(held.Features.SameAs(Streamed()));
        Assert.Equal(madeAt, File.GetLastWriteTimeUtc(copy));                          // reused, not rewritten

        var bytes = File.ReadAllBytes(copy);
        bytes[100] ^= 0xFF;                                                           // same size, wrong checksum
        File.WriteAllBytes(copy, bytes);
        Assert.True(held.Features.SameAs(Streamed()));
        File.WriteAllBytes(copy, bytes[..300]);                                       // truncated
        Assert.True(held.Features.SameAs(Streamed()));
        Assert.Equal(File.ReadAllText(copy + ".sha256").Trim(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(copy))));

        IdxSourceTests.WriteSet(folder.Path, trainCount: 45, testCount: 10, gzip: true, side: 4);   // the source changes
        File.SetLastWriteTimeUtc(Path.Combine(folder.Path, "train-images-idx3-ubyte.gz"), DateTime.UtcNow.AddMinutes(1));
        var changed = IdxSource.Load(folder.Path, labelNames: null, DataStorage.Stream).Train;
        Assert.Equal(45, changed.Count);
        Assert.True(IdxSource.Load(folder.Path, labelNames: null, DataStorage.Memory).Train.Features.SameAs(changed.Head(45)));
        Assert.Empty(Directory.GetFiles(cache, "*.tmp"));
    });

    [Fact]
    public void Training_on_a_streamed_set_follows_the_same_curve_as_in_memory() => WithCache(_ =>
    {
        using var folder = new TempDirectory();
        IdxSourceTests.WriteSet(folder.Path, trainCount: 120, testCount: 20, gzip: true, side: 6);
        var options = new DataOptions { Data = $"idx:{folder.Path}", Storage = DataStorage.Stream };
        var family = ModelCatalog.Find("ae");

        IReadOnlyList<EpochMetrics> Train(DataOptions data)
        {
            var splits = DataCatalog.Load(data, seed: 3);
            manual_seed(1);
            using var model = family.Create(family.DefaultOptions() with { LatentDim = 3, Hidden = [16] }, splits.Shape);
            using var store = new InMemoryTrainingStore();
            new Trainer(new TrainingOptions { Epochs = 2, BatchSize = 16, Seed = 5 }, SilentObserver.Instance).Fit(model, splits, store, resume: false);
            return store.Epochs.ToArray();
        }

        var streamed = Train(options);
        var held = Train(options with { Storage = DataStorage.Memory });
        Assert.Equal(held.Select(e => e.Values["train_loss"]), streamed.Select(e => e.Values["train_loss"]));
        Assert.Equal(held.Select(e => e.Values["val_loss"]), streamed.Select(e => e.Values["val_loss"]));
    });

    [Fact]
    public void A_streamed_set_read_whole_inside_a_dispose_scope_outlives_the_scope() => WithCache(_ =>
    {
        using var folder = new TempDirectory();
        IdxSourceTests.WriteSet(folder.Path, trainCount: 20, testCount: 6, gzip: false, side: 3);
        var test = IdxSource.Load(folder.Path, labelNames: null, DataStorage.Stream).Test;
        using (NewDisposeScope()) Assert.Equal(6, test.Features.shape[0]);      // a figure reads the split whole in its own scope
        Assert.Equal(2, test.Subset([1, 4]).Count);
        Assert.False(test.Features.IsInvalid);
    });
}
