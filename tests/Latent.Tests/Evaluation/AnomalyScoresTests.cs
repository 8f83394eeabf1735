using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.VectorQuantized;
using Latent.Tests.Models;
using static TorchSharp.torch;

namespace Latent.Tests.Evaluation;

/// <summary>Per-example anomaly scores: the columns each family offers, and their means agree with eval.json's figures.</summary>
public sealed class AnomalyScoresTests
{
    static readonly AnomalyScoreOptions Options = new() { BatchSize = 500 };

    [Fact]
    public void Every_model_scores_by_reconstruction_error_whose_mean_is_test_mse()
    {
        var data = TestData.Shapes();
        using var model = ModelContractTests.Build("ae", Architecture.Mlp, data.Shape);
        var scores = AnomalyScores.Compute(model, data.Test, Options);
        Assert.Equal([AnomalyScores.ReconstructionError], scores.Select(column => column.Name));
        Assert.Equal(data.Test.Count, scores[0].Values.Length);
        var figures = Evaluator.Evaluate(model, data.Test, new EvaluationOptions());
        Assert.Equal(figures[Evaluator.TestMse.Name], scores[0].Values.Average(), 5);
    }

    [Fact]
    public void A_vae_adds_the_negative_elbo_whose_mean_is_test_neg_elbo_and_the_iwae_bound_below_it()
    {
        var data = TestData.Shapes();
        using var model = ModelContractTests.Build("vae", Architecture.Mlp, data.Shape);
        var scores = AnomalyScores.Compute(model, data.Test, Options with { IwaeSamples = 16 });
        Assert.Equal([AnomalyScores.ReconstructionError, AnomalyScores.NegativeElbo, AnomalyScores.ImportanceWeighted], scores.Select(column => column.Name));
        var figures = Evaluator.Evaluate(model, data.Test, new EvaluationOptions { IwaeSamples = 16 });
        Assert.Equal(figures[VariationalEstimates.NegativeElbo.Name], scores[1].Values.Average(), 3);
        Assert.Equal(figures[VariationalEstimates.Iwae.Name], scores[2].Values.Average(), 3);
        // The IWAE bound is tighter than one-draw ELBO on average (Burda et al. 2016, Theorem 1).
        Assert.True(scores[2].Values.Average() < scores[1].Values.Average());
        // The same seeds give the same scores again.
        Assert.Equal(scores[1].Values, AnomalyScores.Compute(model, data.Test, Options)[1].Values);
    }

    [Fact]
    public void A_vq_vae_with_a_fitted_prior_adds_the_codes_negative_log_likelihood_whose_mean_is_prior_bits_in_nats()
    {
        var data = TestData.Shapes();
        var options = new VqOptions { LatentDim = 8, Hidden = [64], CodebookSize = 32, PriorEpochs = 0 };
        options.Validate(data.Shape);
        manual_seed(1);
        using var model = new VqVae(options, data.Shape);
        Assert.Equal([AnomalyScores.ReconstructionError], AnomalyScores.Compute(model, data.Test, Options).Select(column => column.Name)); // no prior yet
        Stages.Train(model, data, seed: 3);
        var scores = AnomalyScores.Compute(model, data.Test, Options);
        Assert.Equal([AnomalyScores.ReconstructionError, AnomalyScores.CodeNegativeLogLikelihood], scores.Select(column => column.Name));
        double priorBits = CodebookEstimates.Evaluate(model, data.Test, new EvaluationOptions())[CodebookEstimates.PriorBits.Name];
        Assert.Equal(priorBits, scores[1].Values.Average() / Math.Log(2), 3);
    }

    [Fact]
    public void Iwae_samples_are_refused_for_a_model_that_is_not_variational()
    {
        var data = TestData.Shapes();
        using var model = ModelContractTests.Build("ae", Architecture.Mlp, data.Shape);
        var error = Assert.Throws<UserInputException>(() => AnomalyScores.Compute(model, data.Test, Options with { IwaeSamples = 4 }));
        Assert.Contains("drop IwaeSamples", error.Message);
    }

    [Fact]
    public void A_threshold_is_the_quantile_of_the_validation_scores_and_flags_about_fpr_of_them()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();
        var thresholds = AnomalyThresholds.Calibrate([new ScoreColumn("s", "a score", values)], 0.05);
        Assert.Equal(1000, thresholds.CalibrationExamples);
        Assert.Equal(0.95 * 999, thresholds.Thresholds["s"], 9);
        Assert.Equal(0.05, DetectionMetrics.FractionAbove(values, thresholds.Thresholds["s"]), 2);
        Assert.Throws<UserInputException>(() => AnomalyThresholds.Calibrate([new ScoreColumn("s", "a score", [])], 0.05));
    }

    [Fact]
    public void Anomaly_evaluation_treats_labels_outside_the_normal_classes_as_positives()
    {
        var data = TestData.Shapes();
        using var model = ModelContractTests.Build("ae", Architecture.Mlp, data.Shape);
        var normal = new[] { 0, 2 };
        var evaluation = AnomalyDetection.Evaluate(model, data.Test, ClassSelection.Keep(data.Validation, normal), normal, Options);
        var expected = data.Test.Labels!.Select(label => label is not (0 or 2)).ToArray();
        Assert.Equal(expected, evaluation.Anomalous);
        Assert.Equal(expected.Count(a => a), evaluation.Figures[AnomalyDetection.AnomalousExamples.Name]);
        Assert.Equal(DetectionMetrics.Auroc(evaluation.Scores[0].Values, expected), evaluation.Figures[AnomalyDetection.Auroc.Name]);
        foreach (var key in evaluation.Figures.Keys) Assert.NotEqual("", MetricKeys.Describe(key));
        // Every label normal leaves nothing to detect: refused, not a NaN figure.
        Assert.Throws<UserInputException>(() => AnomalyDetection.Evaluate(model, data.Test, data.Validation, [0, 1, 2, 3], Options));
    }
}
