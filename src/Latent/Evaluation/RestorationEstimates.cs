// Estimators for models trained to undo a corruption (ICorrupting: denoising and masked autoencoders):
// corrupt test examples as in training (seeded), restore them, and score the restored elements only,
// against the simplest fill a model must beat.

using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>How well a denoising or masked autoencoder restores what it was trained to restore, in <c>eval.json</c>.</summary>
public static class RestorationEstimates
{
    /// <summary>The figure <c>masked_mse</c>: mean squared error per element on the corrupted (hidden) elements of test examples, corrupted as in training with a fixed seed and restored by the model.</summary>
    public static readonly MetricKey MaskedMse = new("masked_mse",
        "mean squared error per element on the corrupted (hidden) elements of test examples, corrupted as in training with a fixed seed and restored by the model");
    /// <summary>The figure <c>mean_fill_masked_mse</c>: the same error when the corrupted elements are filled with the per-element test mean; the baseline for <see cref="MaskedMse"/>.</summary>
    public static readonly MetricKey MeanFillMse = new("mean_fill_masked_mse",
        "the same error when the corrupted elements are filled with the per-element mean of the test split: the baseline for masked_mse");
    /// <summary>The figure <c>masked_token_accuracy</c>: fraction of the corrupted token positions of test windows that the model restores to the original token.</summary>
    public static readonly MetricKey TokenAccuracy = new("masked_token_accuracy",
        "fraction of the corrupted token positions of test windows that the model restores to the original token");
    /// <summary>The figure <c>unigram_masked_token_accuracy</c>: the same accuracy when every corrupted position is guessed as the most frequent test token; a baseline.</summary>
    public static readonly MetricKey UnigramTokenAccuracy = new("unigram_masked_token_accuracy",
        "the same accuracy when every corrupted position is guessed as the most frequent test token: a baseline");
    /// <summary>The figure <c>chance_masked_token_accuracy</c>: the accuracy of a uniform guess over the real tokens, 1 / (V − reserved ids).</summary>
    public static readonly MetricKey ChanceTokenAccuracy = new("chance_masked_token_accuracy",
        "the accuracy of a uniform guess over the real tokens of the vocabulary: 1 / (V − reserved ids)");

    /// <summary>The seed of the corruption drawn for <c>eval.json</c>.</summary>
    public const ulong Seed = 0x5EED;

    /// <summary>The restoration figures of a corrupting model (denoising or masked) on <paramref name="test"/>: its test examples corrupted as in training, with <see cref="Seed"/>, and restored.</summary>
    /// <param name="model">The model and its corruption.</param>
    /// <param name="test">The test split.</param>
    /// <param name="options">The batch size.</param>
    public static Dictionary<string, double> Evaluate(ICorrupting model, Dataset test, EvaluationOptions options)
    {
        using var noGrad = no_grad();
        using var generator = new Generator(Seed, device: CPU);
        return test.Shape.Kind == DataKind.Tokens ? Tokens(model, test, options, generator) : Values(model, test, options, generator);
    }

    static Dictionary<string, double> Tokens(ICorrupting model, Dataset test, EvaluationOptions options, Generator generator)
    {
        using var counts = bincount(test.Features.flatten(), minlength: test.Shape.VocabularySize);
        long mostFrequent = counts.argmax().item<long>();
        long hidden = 0, correct = 0, unigramCorrect = 0;
        foreach (var batch in test.Batches(options.BatchSize))
        {
            using var scope = NewDisposeScope();
            var restoration = model.RestoreCorrupted(batch, generator);
            hidden += restoration.Positions.sum().item<long>();
            correct += (restoration.Restored.eq(batch) & restoration.Positions).sum().item<long>();
            unigramCorrect += (batch.eq(mostFrequent) & restoration.Positions).sum().item<long>();
        }
        return new Dictionary<string, double>
        {
            [TokenAccuracy.Name] = (double)correct / Math.Max(1, hidden),
            [UnigramTokenAccuracy.Name] = (double)unigramCorrect / Math.Max(1, hidden),
            [ChanceTokenAccuracy.Name] = 1.0 / (test.Shape.VocabularySize - Vocabulary.Reserved),
        };
    }

    static Dictionary<string, double> Values(ICorrupting model, Dataset test, EvaluationOptions options, Generator generator)
    {
        using var testMean = test.Features.mean([0]);
        double error = 0, meanFillError = 0;
        long hidden = 0;
        foreach (var batch in test.Batches(options.BatchSize))
        {
            using var scope = NewDisposeScope();
            var restoration = model.RestoreCorrupted(batch, generator);
            var positions = restoration.Positions.to(ScalarType.Float32);
            hidden += restoration.Positions.sum().item<long>();
            error += ((restoration.Restored - batch).square() * positions).sum().item<float>();
            meanFillError += ((testMean - batch).square() * positions).sum().item<float>();
        }
        return new Dictionary<string, double>
        {
            [MaskedMse.Name] = error / Math.Max(1, hidden),
            [MeanFillMse.Name] = meanFillError / Math.Max(1, hidden),
        };
    }
}
