using Latent.Data;
using Latent.Data.Sources;
using Latent.Families;
using Latent.Reporting;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Data;

/// <summary>A folder of images streamed (decoded batch by batch from its files) against the same folder held in memory.</summary>
public sealed class StreamedImageFolderTests
{
    /// <summary>Noise images of 12 × 10 in colour, in two label folders: <paramref name="count"/> in all.</summary>
    static void WriteFolder(string folder, int count)
    {
        var random = new Random(4);
        for (int i = 0; i < count; i++)
        {
            var pixels = new byte[12 * 10 * 3];
            random.NextBytes(pixels);
            var path = Path.Combine(folder, i % 2 == 0 ? "even" : "odd", $"{i:D3}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, Png.Encode(pixels, 12, 10, 3));
        }
    }

    [Fact]
    public void A_streamed_folder_decodes_bit_for_bit_the_images_held_in_memory()
    {
        using var folder = new TempDirectory();
        WriteFolder(folder.Path, 30);
        var held = ImageFolderSource.Load(folder.Path, imageSize: null, storage: DataStorage.Memory);
        var streamed = ImageFolderSource.Load(folder.Path, imageSize: null, storage: DataStorage.Stream);
        Assert.False(held.IsStreamed);
        Assert.True(streamed.IsStreamed);
        Assert.Equal(DataShape.Image(3, 10, 12), streamed.Shape);
        Assert.Equal(held.Labels, streamed.Labels);
        Assert.Equal(held.LabelNames, streamed.LabelNames);
        int[] order = [29, 0, 7, 7, 15];
        Assert.True(held.Gather(order).SameAs(streamed.Gather(order)));
        Assert.True(held.Subset([3, 20]).Features.SameAs(streamed.Subset([3, 20]).Gather([0, 1])));
    }

    [Fact]
    public void The_catalogue_streams_a_folder_when_asked_and_training_follows_the_same_curve_as_in_memory()
    {
        using var folder = new TempDirectory();
        WriteFolder(folder.Path, 60);
        var options = new DataOptions { Data = $"images:{folder.Path}", Storage = DataStorage.Stream };
        var family = ModelCatalog.Find("ae");
        var modelOptions = family.DefaultOptions() with { LatentDim = 4, Hidden = [16] };

        IReadOnlyList<EpochMetrics> Train(DataOptions data)
        {
            var splits = DataCatalog.Load(data, seed: 2);
            manual_seed(1);
            using var model = family.Create(modelOptions, splits.Shape);
            using var store = new InMemoryTrainingStore();
            new Trainer(new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 5 }, SilentObserver.Instance).Fit(model, splits, store, resume: false);
            return store.Epochs.ToArray();
        }

        Assert.True(DataCatalog.Load(options, seed: 2).Train.IsStreamed);
        var streamed = Train(options);
        var held = Train(options with { Storage = DataStorage.Memory });
        Assert.Equal(held.Select(e => e.Values["train_loss"]), streamed.Select(e => e.Values["train_loss"]));
        Assert.Equal(held.Select(e => e.Values["val_loss"]), streamed.Select(e => e.Values["val_loss"]));
    }

    [Fact]
    public void An_image_gone_when_its_batch_comes_stops_training_with_the_file_named()
    {
        using var folder = new TempDirectory();
        WriteFolder(folder.Path, 40);
        var splits = DataCatalog.Load(new DataOptions { Data = $"images:{folder.Path}", Storage = DataStorage.Stream }, seed: 2);
        var gone = Path.Combine(folder.Path, "odd", "013.png");
        File.Delete(gone);
        var family = ModelCatalog.Find("ae");
        using var model = family.Create(family.DefaultOptions() with { LatentDim = 2, Hidden = [8] }, splits.Shape);
        using var store = new InMemoryTrainingStore();
        var error = Assert.Throws<UserInputException>(() =>
            new Trainer(new TrainingOptions { Epochs = 1, BatchSize = 4, Seed = 5 }, SilentObserver.Instance).Fit(model, splits, store, resume: false));
        Assert.Contains("013.png", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
