// `latent eval --sample-quality`: how close a generative model's samples are to the test split, in
// a fixed feature space (FeatureSpace): the Fréchet distance between the two Gaussians fitted to the
// features (FrechetDistance, FID's formula) and k-NN precision and recall (PrecisionRecall).
//
// As many samples are drawn as the test split has examples (seeded), because the Fréchet distance
// is biased upwards by a term that shrinks with the sample size (Bińkowski et al. 2018): figures are
// comparable only at the same N. For the same reason every evaluation also scores the training split
// (as many of its examples, drawn with a fixed seed) against the test split: the figure a generator
// that reproduced the data distribution exactly would get at this N.
//
// With --sample-baselines three more: one random half of the test split against the other (the
// sampling noise floor at N/2), the test images with each image's pixels shuffled independently
// (the same pixel intensities, no structure), and uniform noise; the last two are images only.

using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Evaluation.SampleQuality;

/// <summary>The eval.json figures of one sample-quality evaluation, and the feature space they were measured in.</summary>
public sealed record SampleQualityResult(IReadOnlyDictionary<string, double> Figures, string FeatureSpace);

/// <summary>The entry point of <c>latent eval --sample-quality</c>.</summary>
public static class SampleQualityEvaluation
{
    /// <summary>The seed of the samples, of the training examples drawn for the reference and of the baselines.</summary>
    public const long Seed = 0x5A3B1E;

    /// <summary>Generated examples per forward pass.</summary>
    const int SampleBatch = 500;

    // The eval.json keys written here, with their meanings.
    /// <summary>The figure <c>sample_fd</c>: Fréchet distance (FID's formula, Heusel et al. 2017) between generated samples and the test split, in the feature space sample_feature_space names; 0 = the same mean and covariance; comparable only at the same sample_count.</summary>
    public static readonly MetricKey SampleFd = new("sample_fd", "Fréchet distance (FID's formula, Heusel et al. 2017) between generated samples and the test split, in the feature space sample_feature_space names; 0 = the same mean and covariance; comparable only at the same sample_count");
    /// <summary>The figure <c>sample_precision</c>: k-NN precision (Kynkäänniemi et al. 2019, k = 3): fraction of samples inside the manifold of the test features (do samples look real).</summary>
    public static readonly MetricKey SamplePrecision = new("sample_precision", "k-NN precision (Kynkäänniemi et al. 2019, k = 3): fraction of samples inside the manifold of the test features (do samples look real)");
    /// <summary>The figure <c>sample_recall</c>: k-NN recall (k = 3): fraction of test examples inside the manifold of the sample features (is the variety of the data covered).</summary>
    public static readonly MetricKey SampleRecall = new("sample_recall", "k-NN recall (k = 3): fraction of test examples inside the manifold of the sample features (is the variety of the data covered)");
    /// <summary>The figure <c>sample_count</c>: samples drawn, as many as the test split has examples, and the N behind every sample_* and reference figure.</summary>
    public static readonly MetricKey SampleCount = new("sample_count", "samples drawn, as many as the test split has examples, and the N behind every sample_* and reference figure");
    /// <summary>The figure <c>sample_feature_space</c>: the features compared: 1 Latent's Fashion-MNIST classifier (128 penultimate activations), 2 its shapes classifier, 3 the top 64 principal components of the training split (other images), 4 standardised table features.</summary>
    public static readonly MetricKey SampleFeatureSpace = new("sample_feature_space", "the features compared: 1 Latent's Fashion-MNIST classifier (128 penultimate activations), 2 its shapes classifier, 3 the top 64 principal components of the training split (other images), 4 standardised table features");
    /// <summary>The figure <c>train_split_fd</c>: the Fréchet distance of train_split_count training examples (not samples) to the test split: what a generator that reproduced the data exactly would score at this N.</summary>
    public static readonly MetricKey TrainSplitFd = new("train_split_fd", "the Fréchet distance of train_split_count training examples (not samples) to the test split: what a generator that reproduced the data exactly would score at this N");
    /// <summary>The figure <c>train_split_precision</c>: precision of train_split_count training examples against the test split (the value for a perfect generator).</summary>
    public static readonly MetricKey TrainSplitPrecision = new("train_split_precision", "precision of train_split_count training examples against the test split (the value for a perfect generator)");
    /// <summary>The figure <c>train_split_recall</c>: recall of train_split_count training examples against the test split (the value for a perfect generator).</summary>
    public static readonly MetricKey TrainSplitRecall = new("train_split_recall", "recall of train_split_count training examples against the test split (the value for a perfect generator)");
    /// <summary>The figure <c>train_split_count</c>: training examples behind the train_split_* figures, drawn with a fixed seed: sample_count, or the whole training split when it is smaller (then the figures are biased upwards against sample_fd).</summary>
    public static readonly MetricKey TrainSplitCount = new("train_split_count", "training examples behind the train_split_* figures, drawn with a fixed seed: sample_count, or the whole training split when it is smaller (then the figures are biased upwards against sample_fd)");
    /// <summary>The figure <c>baseline_fd_test_halves</c>: Fréchet distance between two random halves of the test split: the sampling noise floor at half the size.</summary>
    public static readonly MetricKey BaselineFdTestHalves = new("baseline_fd_test_halves", "Fréchet distance between two random halves of the test split: the sampling noise floor at half the size");
    /// <summary>The figure <c>baseline_precision_test_halves</c>: precision of one half of the test split against the other.</summary>
    public static readonly MetricKey BaselinePrecisionTestHalves = new("baseline_precision_test_halves", "precision of one half of the test split against the other");
    /// <summary>The figure <c>baseline_recall_test_halves</c>: recall of one half of the test split against the other.</summary>
    public static readonly MetricKey BaselineRecallTestHalves = new("baseline_recall_test_halves", "recall of one half of the test split against the other");
    /// <summary>The figure <c>baseline_fd_shuffled_pixels</c>: Fréchet distance between the test split and the same images with each one's pixels shuffled (same intensities, no structure).</summary>
    public static readonly MetricKey BaselineFdShuffledPixels = new("baseline_fd_shuffled_pixels", "Fréchet distance between the test split and the same images with each one's pixels shuffled (same intensities, no structure)");
    /// <summary>The figure <c>baseline_precision_shuffled_pixels</c>: precision of the pixel-shuffled test images against the test split.</summary>
    public static readonly MetricKey BaselinePrecisionShuffledPixels = new("baseline_precision_shuffled_pixels", "precision of the pixel-shuffled test images against the test split");
    /// <summary>The figure <c>baseline_recall_shuffled_pixels</c>: recall of the pixel-shuffled test images against the test split.</summary>
    public static readonly MetricKey BaselineRecallShuffledPixels = new("baseline_recall_shuffled_pixels", "recall of the pixel-shuffled test images against the test split");
    /// <summary>The figure <c>baseline_fd_noise</c>: Fréchet distance between the test split and as many images of uniform noise.</summary>
    public static readonly MetricKey BaselineFdNoise = new("baseline_fd_noise", "Fréchet distance between the test split and as many images of uniform noise");
    /// <summary>The figure <c>baseline_precision_noise</c>: precision of uniform-noise images against the test split.</summary>
    public static readonly MetricKey BaselinePrecisionNoise = new("baseline_precision_noise", "precision of uniform-noise images against the test split");
    /// <summary>The figure <c>baseline_recall_noise</c>: recall of uniform-noise images against the test split.</summary>
    public static readonly MetricKey BaselineRecallNoise = new("baseline_recall_noise", "recall of uniform-noise images against the test split");

    /// <summary>Throws the one-line error a user gets when <paramref name="test"/> cannot be scored, before any work.</summary>
    public static void CheckApplies(Dataset test)
    {
        if (test.Shape.Kind == DataKind.Tokens)
            throw new UserInputException($"{nameof(EvaluationOptions.SampleQuality)} compares images or table rows, not {test.Shape}", nameof(EvaluationOptions.SampleQuality));
        if (test.Count <= PrecisionRecall.Neighbours + 1)
            throw new UserInputException($"{nameof(EvaluationOptions.SampleQuality)} needs more than {PrecisionRecall.Neighbours + 1} test examples for its k-NN manifolds; this test split has {test.Count}", nameof(EvaluationOptions.SampleQuality));
    }

    /// <summary>
    /// The figures of samples drawn by <paramref name="generate"/> (count → examples [count, ...shape])
    /// against <paramref name="test"/>; <paramref name="training"/> is loaded for the reference (and the
    /// fallback feature space). Seeds torch's global generator before drawing.
    /// </summary>
    public static SampleQualityResult Evaluate(Func<int, Tensor> generate, Dataset test, Func<Dataset> training, bool baselines = false,
                                               Action<string>? progress = null)
    {
        CheckApplies(test);
        using var space = FeatureSpace.For(test, training);
        progress?.Invoke($"features: {space.Description}");
        int count = test.Count;
        using var real = space.Features(test.Features);
        using var generated = SampleFeatures(generate, count, test.Shape, space);
        var figures = new Dictionary<string, double>
        {
            [SampleCount.Name] = count,
            [SampleFeatureSpace.Name] = space.Code,
        };
        Score(figures, SampleFd.Name, SamplePrecision.Name, SampleRecall.Name, real, generated);

        var train = training();
        var picked = Shuffle.Permutation(train.Count, Seed)[..Math.Min(count, train.Count)];
        figures[TrainSplitCount.Name] = picked.Length;
        using (var reference = space.Features(train.Subset(picked).Features))
            Score(figures, TrainSplitFd.Name, TrainSplitPrecision.Name, TrainSplitRecall.Name, real, reference);

        if (baselines)
        {
            var order = Shuffle.Permutation(count, Seed);
            using (var first = real.index_select(0, tensor(order[..(count / 2)].Select(i => (long)i).ToArray())))
            using (var second = real.index_select(0, tensor(order[(count / 2)..].Select(i => (long)i).ToArray())))
                Score(figures, BaselineFdTestHalves.Name, BaselinePrecisionTestHalves.Name, BaselineRecallTestHalves.Name, first, second);
            if (test.Shape.Kind == DataKind.Image)
            {
                using (var shuffled = space.Features(ShufflePixels(test.Features)))
                    Score(figures, BaselineFdShuffledPixels.Name, BaselinePrecisionShuffledPixels.Name, BaselineRecallShuffledPixels.Name, real, shuffled);
                manual_seed(Seed);
                using (var noise = space.Features(rand(test.Features.shape)))
                    Score(figures, BaselineFdNoise.Name, BaselinePrecisionNoise.Name, BaselineRecallNoise.Name, real, noise);
            }
        }
        return new SampleQualityResult(figures, space.Description);
    }

    /// <summary>Fréchet distance, precision and recall of <paramref name="other"/> against <paramref name="real"/>.</summary>
    static void Score(Dictionary<string, double> figures, string distanceKey, string precisionKey, string recallKey, Tensor real, Tensor other)
    {
        figures[distanceKey] = FrechetDistance.Compute(real, other);
        (figures[precisionKey], figures[recallKey]) = PrecisionRecall.Compute(real, other);
    }

    /// <summary>Features of <paramref name="count"/> samples, drawn in batches after seeding torch's generator with <see cref="Seed"/>.</summary>
    static Tensor SampleFeatures(Func<int, Tensor> generate, int count, DataShape shape, FeatureSpace space)
    {
        manual_seed(Seed);
        var parts = new List<Tensor>();
        using var noGrad = no_grad();
        for (int start = 0; start < count; start += SampleBatch)
        {
            using var scope = NewDisposeScope();
            int size = Math.Min(SampleBatch, count - start);
            var samples = generate(size);
            if (!samples.shape.SequenceEqual([size, .. shape.Dimensions]))
                throw new InvalidOperationException($"the sampler returned [{string.Join(", ", samples.shape)}] for {size} examples of {shape}");
            if (!samples.isfinite().all().item<bool>())
                throw new UserInputException("the model's samples contain NaN or infinite values, so they cannot be scored; check the run (its loss may have diverged)");
            parts.Add(space.Features(samples).MoveToOuterDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }

    /// <summary>Each image's pixels (all channels together) in an order of its own, drawn from <see cref="Seed"/>: [N, ...] → [N, ...].</summary>
    static Tensor ShufflePixels(Tensor images)
    {
        using var scope = NewDisposeScope();
        manual_seed(Seed + 1);
        var flat = images.reshape(images.shape[0], -1);                                          // [N, C·H·W]
        var order = rand(flat.shape).argsort(1);
        return flat.gather(1, order).reshape(images.shape).MoveToOuterDisposeScope();
    }
}
