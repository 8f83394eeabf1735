using Latent.Data;
using Latent.Data.Sources;
using Latent.Families;
using Latent.Models;
using Latent.Models.Pca;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Data;

/// <summary>Streamed splits (rendered batch by batch) against the same splits held in memory: same bits, same training, bounded reads.</summary>
public sealed class StreamedDataTests
{
    /// <summary>A store that forwards to another and counts what it was asked for.</summary>
    sealed class CountingStore(IExampleStore inner) : IExampleStore
    {
        public int Count => inner.Count;
        public int LargestRequest { get; private set; }
        public long RowsRead { get; private set; }
        public Tensor Gather(ReadOnlySpan<int> indices)
        {
            LargestRequest = Math.Max(LargestRequest, indices.Length);
            RowsRead += indices.Length;
            return inner.Gather(indices);
        }
        public IExampleStore Subset(IReadOnlyList<int> indices) => new CountingStore(inner.Subset(indices));
    }

    static Dataset Counted(Dataset streamed, out CountingStore store)
    {
        store = new CountingStore(new RenderedShapes(Spec, Draws(streamed.Count)));
        return new Dataset(store, streamed.Shape, streamed.Labels, streamed.LabelNames, streamed.Factors);
    }

    static readonly ShapesSpec Spec = new(20, true);

    static ShapeFactors[] Draws(int count) =>
        Enumerable.Range(0, count).Select(i => ShapesSource.Draw(ShapesSource.TrainSeed, i, Spec.Colour)).ToArray();

    [Fact]
    public void A_streamed_split_renders_bit_for_bit_the_images_held_in_memory()
    {
        var held = ShapesSource.Generate(Spec, 300, ShapesSource.TrainSeed);
        var streamed = ShapesSource.Stream(Spec, 300, ShapesSource.TrainSeed);
        Assert.True(streamed.IsStreamed);
        Assert.False(held.IsStreamed);
        Assert.Equal(held.Labels, streamed.Labels);
        Assert.Equal(held.Factors!["hue"], streamed.Factors!["hue"]);
        int[] order = [299, 0, 17, 17, 150];
        Assert.True(held.Gather(order).equal(streamed.Gather(order)).all().item<bool>());
        var subset = streamed.Subset([5, 250, 3]);
        Assert.True(subset.IsStreamed);
        Assert.True(held.Subset([5, 250, 3]).Features.equal(subset.Gather([0, 1, 2])).all().item<bool>());
        var batches = streamed.Batches(128).Select(batch => batch.shape[0]).ToArray();
        Assert.Equal([128L, 128, 44], batches);
        Assert.True(held.Head(7).equal(streamed.Head(7)).all().item<bool>());
    }

    [Fact]
    public void The_catalogue_streams_shapes_when_asked_or_when_a_split_is_large_and_holds_them_otherwise()
    {
        var options = new DataOptions { Data = "shapes:20:rgb", Examples = 400, Storage = DataStorage.Stream };
        var streamed = DataCatalog.Load(options, seed: 3);
        var held = DataCatalog.Load(options with { Storage = DataStorage.Memory }, seed: 3);
        Assert.True(streamed.Train.IsStreamed && streamed.Validation.IsStreamed);
        Assert.False(held.Train.IsStreamed || held.Validation.IsStreamed);
        Assert.False(streamed.Test.IsStreamed);                                        // 2000 examples: always held
        Assert.True(held.Validation.Features.equal(streamed.Validation.Head(streamed.Validation.Count)).all().item<bool>());

        var large = DataShape.Image(3, 64, 64);
        Assert.False(StorageChoice.Streams(DataStorage.Auto, 5000, large));              // 234 MiB
        Assert.True(StorageChoice.Streams(DataStorage.Auto, 6000, large));               // 281 MiB
        Assert.False(StorageChoice.Streams(DataStorage.Auto, 20000, DataShape.Image(1, 32, 32)));  // the default set stays in memory
    }

    [Fact]
    public void Storage_is_refused_for_sources_that_do_not_stream()
    {
        var error = Assert.Throws<UserInputException>(() => new DataOptions { Data = "csv:x.csv", Storage = DataStorage.Stream }.Validate());
        Assert.Contains("Storage does not apply to Data csv:x.csv", error.Message);
    }

    [Fact]
    public void Training_on_a_streamed_split_reads_one_batch_at_a_time_and_follows_the_same_curve_as_in_memory()
    {
        var held = ShapesSource.Generate(Spec, 240, ShapesSource.TrainSeed);
        var (train, validation) = (Counted(held.Subset(Enumerable.Range(0, 200).ToArray()), out var trainStore),
                                   Counted(held.Subset(Enumerable.Range(0, 40).ToArray()), out var validationStore));
        var test = ShapesSource.Generate(Spec, 8, ShapesSource.TestSeed);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 32, Seed = 5 };
        var family = ModelCatalog.Find("ae");
        var modelOptions = family.DefaultOptions() with { LatentDim = 4, Hidden = [32] };

        IReadOnlyList<EpochMetrics> Train(DataSplits splits)
        {
            manual_seed(1);
            using var model = family.Create(modelOptions, Spec.Shape);
            using var store = new InMemoryTrainingStore();
            new Trainer(options, SilentObserver.Instance).Fit(model, splits, store, resume: false);
            return store.Epochs.ToArray();
        }

        var inMemory = Train(new DataSplits(held.Subset(Enumerable.Range(0, 200).ToArray()), held.Subset(Enumerable.Range(0, 40).ToArray()), test));
        var streamed = Train(new DataSplits(train, validation, test));
        Assert.Equal(inMemory.Select(e => e.Values["val_loss"]), streamed.Select(e => e.Values["val_loss"]));
        Assert.Equal(inMemory.Select(e => e.Values["train_loss"]), streamed.Select(e => e.Values["train_loss"]));
        // Never more rows at once than a training batch (32) or a validation batch (at least 512, here all 40).
        Assert.Equal(32, trainStore.LargestRequest);
        Assert.Equal(40, validationStore.LargestRequest);
        Assert.Equal(2 * 200, trainStore.RowsRead);                                     // each example once an epoch
        Assert.Equal(2 * 40, validationStore.RowsRead);
    }

    [Theory]
    [InlineData(PcaSolver.Exact)]
    [InlineData(PcaSolver.Randomized)]
    [InlineData(PcaSolver.Incremental)]
    public void Pca_fits_a_streamed_split_block_by_block_as_it_fits_it_in_memory(PcaSolver solver)
    {
        var held = ShapesSource.Generate(Spec, 1500, ShapesSource.TrainSeed);
        var streamed = Counted(ShapesSource.Stream(Spec, 1500, ShapesSource.TrainSeed), out var store);
        var options = new PcaOptions { LatentDim = 6, Solver = solver, BatchSize = solver == PcaSolver.Incremental ? 250 : null };
        using var inMemory = PcaFit.Run(new DatasetRows(held), options);
        using var blocks = PcaFit.Run(new DatasetRows(streamed, blockRows: 100), options);
        Assert.Equal(solver, blocks.Solver);
        Assert.InRange(PcaFit.LargestAngleDegrees(inMemory.Axes.Components, blocks.Axes.Components), 0, 0.05);
        for (int k = 0; k < 6; k++) Assert.Equal(inMemory.Axes.Variances[k], blocks.Axes.Variances[k], inMemory.Axes.Variances[k] * 1e-4);
        Assert.True(inMemory.Axes.Mean.allclose(blocks.Axes.Mean, atol: 1e-6));
        Assert.Equal(100, store.LargestRequest);                                        // one block of rows at a time, never X
        Assert.Equal(0, store.RowsRead % 1500);                                         // whole passes only
    }
}
