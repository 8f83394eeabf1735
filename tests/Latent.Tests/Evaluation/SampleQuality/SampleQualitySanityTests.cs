using Latent.Data;
using Latent.Data.Sources;
using Latent.Evaluation.SampleQuality;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Latent.Tests.Evaluation.SampleQuality;

/// <summary>
/// The Fréchet distance orders what it should, in the shipped feature spaces: training images are
/// nearly indistinguishable from test images, noise and pixel-shuffled images are far.
/// </summary>
public sealed class SampleQualitySanityTests(ITestOutputHelper output)
{
    /// <summary>Scores training examples as if they were samples, with every baseline.</summary>
    IReadOnlyDictionary<string, double> ScoreTheTrainingSplitAsSamples(Dataset train, Dataset test)
    {
        int next = 0;
        var order = Shuffle.Permutation(train.Count, seed: 99);
        Tensor Draw(int count)
        {
            using var index = tensor(order[next..(next += count)].Select(i => (long)i).ToArray());
            return train.Features.index_select(0, index);
        }
        var figures = SampleQualityEvaluation.Evaluate(Draw, test, () => train, baselines: true).Figures;
        output.WriteLine(string.Join("\n", figures.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} {pair.Value:G4}")));
        return figures;
    }

    static void AssertOrdering(IReadOnlyDictionary<string, double> figures)
    {
        double data = figures["sample_fd"], halves = figures["baseline_fd_test_halves"];
        double shuffled = figures["baseline_fd_shuffled_pixels"], noise = figures["baseline_fd_noise"];
        Assert.True(data < 0.02 * noise, $"training images {data} against noise {noise}");
        Assert.True(figures["train_split_fd"] < 0.02 * noise);
        Assert.True(halves < 0.02 * noise, $"two halves of the test split {halves}");
        Assert.True(shuffled > 20 * data, $"shuffled pixels {shuffled} against training images {data}");
        Assert.True(figures["sample_precision"] > 0.5 && figures["sample_recall"] > 0.5);
        // Noise covers none of the data. (Its precision need not be 0: noise images land in one tight cluster of
        // features, which on Fashion-MNIST falls inside the large balls of a few outlying test images, 42 % of it:
        // the k-NN manifold's known sensitivity to outliers, Kynkäänniemi et al. 2019, §3.)
        Assert.True(figures["baseline_recall_noise"] < 0.05, "noise covers none of the data");
    }

    [Fact]
    public void On_shapes_training_images_score_near_zero_and_noise_far_away()
    {
        var (all, test) = ShapesSource.Load();
        var figures = ScoreTheTrainingSplitAsSamples(all.Take(6000), test);
        Assert.Equal(2, figures["sample_feature_space"]);
        AssertOrdering(figures);
    }

    [SkippableFact]
    public void On_fashion_mnist_training_images_score_near_zero_and_noise_far_away()
    {
        Skip.IfNot(TestData.FashionMnistInstalled, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        var splits = DataCatalog.Load(new DataOptions { Data = "fashion-mnist" }, seed: 1);
        var figures = ScoreTheTrainingSplitAsSamples(splits.Train.Take(12_000), splits.Test.Take(4000));
        Assert.Equal(1, figures["sample_feature_space"]);
        AssertOrdering(figures);
    }

    [Fact]
    public void The_shipped_networks_record_how_they_were_trained()
    {
        foreach (var (name, data) in new[] { (NetworkFeatures.FashionMnist, "fashion-mnist"), (NetworkFeatures.Shapes, "shapes") })
        {
            using var features = NetworkFeatures.Embedded(name, 0);
            Assert.Equal(data, features.Metadata["data"]);
            Assert.StartsWith("latent feature-network --data " + data, features.Metadata["command"]);
            Assert.False(string.IsNullOrEmpty(features.Metadata["test_accuracy"]));
        }
    }
}
