// How often a label-conditioned model (a CVAE, Sohn et al. 2015) draws what it was asked for: its samples, in equal
// shares of every label, classified by a linear probe fitted on real examples (the "classification accuracy of
// generated samples" by which conditional generators are judged, e.g. Odena, Olah & Shlens 2017 for AC-GAN, with a
// pixel-space linear classifier instead of an Inception network).

using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>The class consistency of a label-conditioned generative model's samples.</summary>
public static class ConditionalSamples
{
    /// <summary>The share of samples classified as the label they were drawn for.</summary>
    public static readonly MetricKey Accuracy = new("conditional_sample_accuracy",
        $"share of a label-conditioned model's samples ({PerLabel} per label, from its prior, seed {Seed}) that a linear probe fitted on the raw training examples assigns to the label they were drawn for; chance is 1/K");

    /// <summary>Samples drawn per label.</summary>
    public const int PerLabel = 100;

    /// <summary>The seed of the draws.</summary>
    public const int Seed = 0;

    /// <summary>
    /// <see cref="Accuracy"/> for a conditioned generative <paramref name="model"/>, the probe fitted on the flattened
    /// examples of <paramref name="train"/>; empty for any other model.
    /// </summary>
    public static Dictionary<string, double> Evaluate(Autoencoder model, Dataset train)
    {
        if (model.Condition is not { } condition || model is not IGenerative { CanSample: true } generative) return [];
        var trainLabels = train.Labels ?? throw new UserInputException(
            $"the data have no labels, so the samples of a model conditioned on labels cannot be checked against them; pass data with labels");
        int count = PerLabel * condition.ClassCount;
        using var scope = NewDisposeScope();
        model.eval();
        manual_seed(Seed);
        var drawnFor = condition.EqualShares(count);                                        // [K·n]: label k in block k
        Tensor samples;
        using (no_grad())
        using (model.Given(drawnFor))
            samples = generative.Sample(count);                                             // [K·n, ...shape]
        using var probeLearns = enable_grad();                                              // the probe's optimiser needs gradients, whatever the caller's mode
        var labels = drawnFor.data<long>().Select(label => (int)label).ToArray();
        double accuracy = LinearProbe.Accuracy(train.Features.flatten(1).to(ScalarType.Float32), trainLabels,
                                               samples.flatten(1).to(ScalarType.Float32), labels, Math.Max(train.ClassCount, condition.ClassCount));
        return new() { [Accuracy.Name] = accuracy };
    }
}
