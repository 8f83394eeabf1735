// The one-class (and few-class) anomaly-detection protocol: train on some labels, call every test example
// of another label an anomaly, and measure how well each anomaly score separates the two (AUROC, AUPRC;
// Ruff et al. 2018, Deep SVDD, §4.1) and what a threshold fixed on normal data alone catches: the threshold
// is the (1 − fpr)-quantile of the validation split's scores, so that about fpr of normal data lies above it.

using Latent.Data;
using Latent.Models;

namespace Latent.Evaluation;

/// <summary>The threshold of each score, calibrated on normal (validation) data at a false-positive rate.</summary>
/// <param name="Fpr">The target false-positive rate.</param>
/// <param name="Thresholds">Score name → its (1 − fpr)-quantile on the calibration data; above it is anomalous.</param>
/// <param name="CalibrationExamples">Examples the quantiles were taken over.</param>
public sealed record AnomalyThresholds(double Fpr, IReadOnlyDictionary<string, double> Thresholds, int CalibrationExamples)
{
    /// <summary>Each score's (1 − <paramref name="fpr"/>)-quantile over <paramref name="calibration"/> (the validation split's scores).</summary>
    public static AnomalyThresholds Calibrate(IReadOnlyList<ScoreColumn> calibration, double fpr)
    {
        int count = calibration.Count == 0 ? 0 : calibration[0].Values.Length;
        if (count == 0)
            throw new UserInputException($"the run's validation split is empty, so no threshold can be calibrated on normal data; train the run with {nameof(DataOptions.ValidationFraction)} 0.1 (the default)", nameof(DataOptions.ValidationFraction));
        var thresholds = calibration.ToDictionary(column => column.Name, column => DetectionMetrics.Quantile(column.Values, 1 - fpr));
        return new AnomalyThresholds(fpr, thresholds, count);
    }
}

/// <summary>What <c>latent eval --anomaly</c> measures: the test scores, which examples are anomalies, the thresholds and the figures.</summary>
/// <param name="Scores">Every score of every test example.</param>
/// <param name="Anomalous">Per test example: its label is not one the run was trained on.</param>
/// <param name="Thresholds">Calibrated on the validation split.</param>
/// <param name="Figures">The eval.json figures (<see cref="AnomalyDetection"/>'s keys).</param>
public sealed record AnomalyEvaluation(IReadOnlyList<ScoreColumn> Scores, bool[] Anomalous, AnomalyThresholds Thresholds, IReadOnlyDictionary<string, double> Figures);

/// <summary>The anomaly-detection figures of <c>eval.json</c>, one set per score.</summary>
public static class AnomalyDetection
{
    /// <summary>The figure <c>anomaly_fpr</c>: false-positive rate on the validation split at which each score's anomaly threshold is calibrated.</summary>
    public static readonly MetricKey Fpr = new("anomaly_fpr", "false-positive rate on the validation split at which each score's anomaly threshold is calibrated");
    /// <summary>The figure <c>anomaly_normal_examples</c>: test examples of a label the run was trained on (<c>Classes</c>): the normal ones.</summary>
    public static readonly MetricKey NormalExamples = new("anomaly_normal_examples", "test examples of a label the run was trained on (--classes): the normal ones");
    /// <summary>The figure <c>anomaly_anomalous_examples</c>: test examples of a label the run was not trained on: the anomalies.</summary>
    public static readonly MetricKey AnomalousExamples = new("anomaly_anomalous_examples", "test examples of a label the run was not trained on: the anomalies");

    /// <summary>The figure <c>anomaly_auroc</c>: area under the ROC curve of the reconstruction error (recon_mse) telling anomalous test examples from normal ones (0.5 is chance, 1 perfect).</summary>
    public static readonly MetricKey Auroc = new("anomaly_auroc", "area under the ROC curve of the reconstruction error (recon_mse) telling anomalous test examples from normal ones (0.5 is chance, 1 perfect)");
    /// <summary>The figure <c>anomaly_auprc</c>: average precision of the reconstruction error with anomalies as positives (chance is their share of the test split).</summary>
    public static readonly MetricKey Auprc = new("anomaly_auprc", "average precision of the reconstruction error with anomalies as positives (chance is their share of the test split)");
    /// <summary>The figure <c>anomaly_detection_rate</c>: fraction of anomalous test examples whose reconstruction error is above the threshold calibrated at anomaly_fpr.</summary>
    public static readonly MetricKey DetectionRate = new("anomaly_detection_rate", "fraction of anomalous test examples whose reconstruction error is above the threshold calibrated at anomaly_fpr");
    /// <summary>The figure <c>anomaly_false_alarm_rate</c>: fraction of normal test examples whose reconstruction error is above that threshold (near anomaly_fpr when test and validation data are alike).</summary>
    public static readonly MetricKey FalseAlarmRate = new("anomaly_false_alarm_rate", "fraction of normal test examples whose reconstruction error is above that threshold (near anomaly_fpr when test and validation data are alike)");
    /// <summary>The figure <c>anomaly_threshold</c>: the reconstruction error's threshold: its (1 − anomaly_fpr)-quantile on the validation split.</summary>
    public static readonly MetricKey Threshold = new("anomaly_threshold", "the reconstruction error's threshold: its (1 − anomaly_fpr)-quantile on the validation split");

    /// <summary>The figure <c>anomaly_auroc_neg_elbo</c>: AUROC of a VAE's −ELBO per example (one posterior draw) telling anomalous test examples from normal ones.</summary>
    public static readonly MetricKey AurocNegativeElbo = new("anomaly_auroc_neg_elbo", "AUROC of a VAE's −ELBO per example (one posterior draw) telling anomalous test examples from normal ones");
    /// <summary>The figure <c>anomaly_auprc_neg_elbo</c>: average precision of the −ELBO with anomalies as positives.</summary>
    public static readonly MetricKey AuprcNegativeElbo = new("anomaly_auprc_neg_elbo", "average precision of the −ELBO with anomalies as positives");
    /// <summary>The figure <c>anomaly_detection_rate_neg_elbo</c>: fraction of anomalous test examples whose −ELBO is above its threshold calibrated at anomaly_fpr.</summary>
    public static readonly MetricKey DetectionRateNegativeElbo = new("anomaly_detection_rate_neg_elbo", "fraction of anomalous test examples whose −ELBO is above its threshold calibrated at anomaly_fpr");
    /// <summary>The figure <c>anomaly_false_alarm_rate_neg_elbo</c>: fraction of normal test examples whose −ELBO is above that threshold.</summary>
    public static readonly MetricKey FalseAlarmRateNegativeElbo = new("anomaly_false_alarm_rate_neg_elbo", "fraction of normal test examples whose −ELBO is above that threshold");
    /// <summary>The figure <c>anomaly_threshold_neg_elbo</c>: the −ELBO's threshold in nats: its (1 − anomaly_fpr)-quantile on the validation split.</summary>
    public static readonly MetricKey ThresholdNegativeElbo = new("anomaly_threshold_neg_elbo", "the −ELBO's threshold in nats: its (1 − anomaly_fpr)-quantile on the validation split");

    /// <summary>The figure <c>anomaly_auroc_iwae_nll</c>: AUROC of a VAE's IWAE estimate of −log p(x) (<c>IwaeSamples</c>) telling anomalous test examples from normal ones.</summary>
    public static readonly MetricKey AurocImportanceWeighted = new("anomaly_auroc_iwae_nll", "AUROC of a VAE's IWAE estimate of −log p(x) (--iwae-samples) telling anomalous test examples from normal ones");
    /// <summary>The figure <c>anomaly_auprc_iwae_nll</c>: average precision of the IWAE −log p(x) with anomalies as positives.</summary>
    public static readonly MetricKey AuprcImportanceWeighted = new("anomaly_auprc_iwae_nll", "average precision of the IWAE −log p(x) with anomalies as positives");
    /// <summary>The figure <c>anomaly_detection_rate_iwae_nll</c>: fraction of anomalous test examples whose IWAE −log p(x) is above its threshold calibrated at anomaly_fpr.</summary>
    public static readonly MetricKey DetectionRateImportanceWeighted = new("anomaly_detection_rate_iwae_nll", "fraction of anomalous test examples whose IWAE −log p(x) is above its threshold calibrated at anomaly_fpr");
    /// <summary>The figure <c>anomaly_false_alarm_rate_iwae_nll</c>: fraction of normal test examples whose IWAE −log p(x) is above that threshold.</summary>
    public static readonly MetricKey FalseAlarmRateImportanceWeighted = new("anomaly_false_alarm_rate_iwae_nll", "fraction of normal test examples whose IWAE −log p(x) is above that threshold");
    /// <summary>The figure <c>anomaly_threshold_iwae_nll</c>: the IWAE −log p(x)'s threshold in nats: its (1 − anomaly_fpr)-quantile on the validation split.</summary>
    public static readonly MetricKey ThresholdImportanceWeighted = new("anomaly_threshold_iwae_nll", "the IWAE −log p(x)'s threshold in nats: its (1 − anomaly_fpr)-quantile on the validation split");

    /// <summary>The figure <c>anomaly_auroc_code_nll</c>: AUROC of −log p(codes) under a VQ-VAE's fitted prior telling anomalous test examples from normal ones.</summary>
    public static readonly MetricKey AurocCodeNll = new("anomaly_auroc_code_nll", "AUROC of −log p(codes) under a VQ-VAE's fitted prior telling anomalous test examples from normal ones");
    /// <summary>The figure <c>anomaly_auprc_code_nll</c>: average precision of the codes' −log p under the prior with anomalies as positives.</summary>
    public static readonly MetricKey AuprcCodeNll = new("anomaly_auprc_code_nll", "average precision of the codes' −log p under the prior with anomalies as positives");
    /// <summary>The figure <c>anomaly_detection_rate_code_nll</c>: fraction of anomalous test examples whose codes' −log p is above its threshold calibrated at anomaly_fpr.</summary>
    public static readonly MetricKey DetectionRateCodeNll = new("anomaly_detection_rate_code_nll", "fraction of anomalous test examples whose codes' −log p is above its threshold calibrated at anomaly_fpr");
    /// <summary>The figure <c>anomaly_false_alarm_rate_code_nll</c>: fraction of normal test examples whose codes' −log p is above that threshold.</summary>
    public static readonly MetricKey FalseAlarmRateCodeNll = new("anomaly_false_alarm_rate_code_nll", "fraction of normal test examples whose codes' −log p is above that threshold");
    /// <summary>The figure <c>anomaly_threshold_code_nll</c>: the codes' −log p threshold in nats: its (1 − anomaly_fpr)-quantile on the validation split.</summary>
    public static readonly MetricKey ThresholdCodeNll = new("anomaly_threshold_code_nll", "the codes' −log p threshold in nats: its (1 − anomaly_fpr)-quantile on the validation split");

    /// <summary>The keys of one score.</summary>
    sealed record ScoreKeys(MetricKey Auroc, MetricKey Auprc, MetricKey DetectionRate, MetricKey FalseAlarmRate, MetricKey Threshold);

    static readonly IReadOnlyDictionary<string, ScoreKeys> KeysOfScore = new Dictionary<string, ScoreKeys>
    {
        [AnomalyScores.ReconstructionError] = new(Auroc, Auprc, DetectionRate, FalseAlarmRate, Threshold),
        [AnomalyScores.NegativeElbo] = new(AurocNegativeElbo, AuprcNegativeElbo, DetectionRateNegativeElbo, FalseAlarmRateNegativeElbo, ThresholdNegativeElbo),
        [AnomalyScores.ImportanceWeighted] = new(AurocImportanceWeighted, AuprcImportanceWeighted, DetectionRateImportanceWeighted, FalseAlarmRateImportanceWeighted, ThresholdImportanceWeighted),
        [AnomalyScores.CodeNegativeLogLikelihood] = new(AurocCodeNll, AuprcCodeNll, DetectionRateCodeNll, FalseAlarmRateCodeNll, ThresholdCodeNll),
    };

    /// <summary>The eval.json key of a score's AUROC: <c>anomaly_auroc</c> for the reconstruction error, <c>anomaly_auroc_SCORE</c> for the others.</summary>
    public static string AurocKey(string score) => KeysOfScore[score].Auroc.Name;

    /// <summary>
    /// Scores the test split and the validation split, calibrates each score's threshold on validation at
    /// <see cref="AnomalyScoreOptions.Fpr"/>, and measures how each score separates the test examples whose label
    /// is not in <paramref name="normalClasses"/> (the anomalies) from the others.
    /// </summary>
    /// <param name="model">The run's selected model.</param>
    /// <param name="test">The whole test split, every label.</param>
    /// <param name="validation">The run's validation split: normal examples only (it was filtered by --classes).</param>
    /// <param name="normalClasses">The labels the run was trained on.</param>
    /// <param name="options">The false-positive rate, IWAE samples and batch size.</param>
    public static AnomalyEvaluation Evaluate(Autoencoder model, Dataset test, Dataset validation, IReadOnlyCollection<int> normalClasses, AnomalyScoreOptions options)
    {
        options.Validate();
        var labels = test.Labels
            ?? throw new UserInputException($"{nameof(EvaluationOptions.Anomaly)} needs labels on the test split to tell anomalies from normal examples, and this data has none; evaluate on labelled data", nameof(EvaluationOptions.Anomaly));
        var anomalous = labels.Select(label => !normalClasses.Contains(label)).ToArray();
        int anomalies = anomalous.Count(a => a), normal = anomalous.Length - anomalies;
        if (anomalies == 0 || normal == 0)
            throw new UserInputException(anomalies == 0
                ? $"the test split holds no example of a label the run was not trained on, so there are no anomalies to detect; train with {nameof(DataOptions.Classes)} on a subset of the labels"
                : "the test split holds no example of the labels the run was trained on, so there is no normal data to compare with; evaluate on data with those labels", nameof(DataOptions.Classes));
        var thresholds = AnomalyThresholds.Calibrate(AnomalyScores.Compute(model, validation, options), options.Fpr);
        var scores = AnomalyScores.Compute(model, test, options);

        var figures = new Dictionary<string, double>
        {
            [Fpr.Name] = options.Fpr,
            [NormalExamples.Name] = normal,
            [AnomalousExamples.Name] = anomalies,
        };
        foreach (var column in scores)
        {
            var keys = KeysOfScore[column.Name];
            double threshold = thresholds.Thresholds[column.Name];
            figures[keys.Auroc.Name] = DetectionMetrics.Auroc(column.Values, anomalous);
            figures[keys.Auprc.Name] = DetectionMetrics.AveragePrecision(column.Values, anomalous);
            figures[keys.DetectionRate.Name] = DetectionMetrics.FractionAbove(column.Values.Where((_, i) => anomalous[i]), threshold);
            figures[keys.FalseAlarmRate.Name] = DetectionMetrics.FractionAbove(column.Values.Where((_, i) => !anomalous[i]), threshold);
            figures[keys.Threshold.Name] = threshold;
        }
        return new AnomalyEvaluation(scores, anomalous, thresholds, figures);
    }
}
