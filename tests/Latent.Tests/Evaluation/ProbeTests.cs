using Latent.Data;
using Latent.Evaluation;
using Latent.Models.Plain;
using static TorchSharp.torch;

namespace Latent.Tests.Evaluation;

public sealed class ProbeTests
{
    /// <summary>Three Gaussian blobs in 20 dimensions (two of them informative), seeded.</summary>
    static (Tensor Features, int[] Labels) Blobs(int count, int seed, double spread = 0.5)
    {
        manual_seed(seed);
        var labels = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        var centres = tensor(new float[] { 0, 0, 3, 0, 0, 3 }).view(3, 2);
        var informative = centres.index_select(0, tensor(labels.Select(l => (long)l).ToArray())) + spread * randn(count, 2);
        return (cat([informative, randn(count, 18)], 1), labels);
    }

    [Fact]
    public void The_linear_probe_separates_separable_classes_and_cannot_learn_random_labels()
    {
        var (train, trainLabels) = Blobs(600, seed: 1);
        var (test, testLabels) = Blobs(300, seed: 2);
        Assert.True(LinearProbe.Accuracy(train, trainLabels, test, testLabels, classes: 3) > 0.97);

        var random = new SplitMix64(3);
        var shuffled = trainLabels.Select(_ => (int)random.NextBelow(3)).ToArray();
        Assert.InRange(LinearProbe.Accuracy(train, shuffled, test, testLabels, classes: 3), 0.15, 0.55);
    }

    [Fact]
    public void The_probe_is_deterministic_and_ignores_the_scale_of_each_feature()
    {
        var (train, trainLabels) = Blobs(300, seed: 4, spread: 1.2);
        var (test, testLabels) = Blobs(300, seed: 5, spread: 1.2);
        double accuracy = LinearProbe.Accuracy(train, trainLabels, test, testLabels, 3);
        Assert.Equal(accuracy, LinearProbe.Accuracy(train, trainLabels, test, testLabels, 3));
        var scale = logspace(-3, 3, 20);
        Assert.Equal(accuracy, LinearProbe.Accuracy(train * scale, trainLabels, test * scale, testLabels, 3), precision: 2);
    }

    [Fact]
    public void Knn_votes_with_cosine_similarity()
    {
        // Classes that differ in direction but not in length: what cosine similarity sees.
        (Tensor, int[]) Directions(int count, int seed)
        {
            manual_seed(seed);
            var labels = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
            var directions = tensor(new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }).view(3, 3);
            var lengths = rand(count, 1) * 10 + 1;
            return (directions.index_select(0, tensor(labels.Select(l => (long)l).ToArray())) * lengths + 0.2 * lengths * randn(count, 3), labels);
        }
        var (train, trainLabels) = Directions(600, 6);
        var (test, testLabels) = Directions(300, 7);
        Assert.True(Knn.Accuracy(train, trainLabels, test, testLabels, classes: 3) > 0.95);
    }

    [Fact]
    public void The_evaluator_adds_probe_figures_for_any_family_and_raw_figures_on_request()
    {
        var data = TestData.Shapes();
        manual_seed(1);
        using var model = new PlainAutoencoder(new PlainOptions { Hidden = [32], LatentDim = 8 }, data.Shape);
        var figures = Evaluator.Evaluate(model, data.Test, new EvaluationOptions { Probe = true, ProbeRaw = true, TrainingSplit = new(() => data.Train) });
        foreach (var key in new[] { "linear_probe_accuracy", "knn_accuracy", "raw_linear_probe_accuracy", "raw_knn_accuracy" })
            Assert.InRange(figures[key], 0.2, 1.0);
    }

    [Fact]
    public void Data_without_labels_cannot_be_probed()
    {
        var data = TestData.Shapes();
        var unlabelled = new Dataset(data.Train.Features, data.Shape);
        using var model = new PlainAutoencoder(new PlainOptions { Hidden = [16], LatentDim = 4 }, data.Shape);
        var error = Assert.Throws<UserInputException>(() => Probes.Evaluate(model, unlabelled, data.Test));
        Assert.Contains("no labels", error.Message);
    }
}
