using System.Globalization;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>
/// The pictures of <c>latent eval --anomaly</c>: for each score, the histograms of normal and anomalous test
/// examples with the calibrated threshold; the ROC curves of all scores; and the worst-scored test examples
/// above their reconstructions. The report shows them only while eval.json holds anomaly figures.
/// </summary>
public static class AnomalyFigures
{
    /// <summary>The ROC curves, one per score.</summary>
    public const string RocFile = "anomaly-roc.png";

    /// <summary>Bins of each histogram.</summary>
    const int Bins = 40;

    /// <summary>Worst-scored test examples shown per score.</summary>
    const int WorstCount = 16;

    /// <summary>The histograms of one score: <c>anomaly-histogram-SCORE.png</c>.</summary>
    public static string HistogramFile(string score) => $"anomaly-histogram-{score}.png";

    /// <summary>The worst-scored test examples of one score: <c>anomaly-worst-SCORE.png</c>.</summary>
    public static string WorstFile(string score) => $"anomaly-worst-{score}.png";

    /// <summary>Whether <paramref name="file"/> is one of these figures.</summary>
    public static bool IsAnomalyFigure(string file) => file.StartsWith("anomaly-", StringComparison.Ordinal) && file.EndsWith(".png", StringComparison.Ordinal);

    /// <summary>Draws every anomaly figure of <paramref name="evaluation"/> into the run (replacing those of an earlier evaluation).</summary>
    public static void DrawAll(RunDirectory run, Autoencoder model, Dataset test, AnomalyEvaluation evaluation)
    {
        foreach (var stale in Directory.EnumerateFiles(run.Path, "anomaly-*.png")) File.Delete(stale);
        foreach (var column in evaluation.Scores)
        {
            SaveHistograms(run.File(HistogramFile(column.Name)), column, evaluation.Anomalous, evaluation.Thresholds.Thresholds[column.Name], evaluation.Thresholds.Fpr);
            SaveWorst(run.File(WorstFile(column.Name)), model, test, column);
        }
        SaveRocCurves(run.File(RocFile), evaluation.Scores, evaluation.Anomalous);
    }

    /// <summary>The anomaly figures the run holds, with their captions, in page order; none unless eval.json has anomaly figures.</summary>
    public static IEnumerable<(string File, string Caption)> Captions(RunDirectory run, IReadOnlyDictionary<string, double> evaluation)
    {
        if (!evaluation.ContainsKey(AnomalyDetection.Auroc.Name)) yield break;
        string fpr = evaluation.TryGetValue(AnomalyDetection.Fpr.Name, out var rate) ? rate.ToString("G3", CultureInfo.InvariantCulture) : "the chosen";
        string[] scores = [AnomalyScores.ReconstructionError, AnomalyScores.NegativeElbo, AnomalyScores.ImportanceWeighted, AnomalyScores.CodeNegativeLogLikelihood];
        if (File.Exists(run.File(RocFile)))
            yield return (RocFile, "ROC curves of the anomaly scores on the test split: examples of labels the run was not trained on are the positives (the diagonal is chance).");
        foreach (var score in scores.Where(score => File.Exists(run.File(HistogramFile(score)))))
            yield return (HistogramFile(score), $"{score} of normal and anomalous test examples (each histogram sums to 1), with the threshold calibrated on the validation split at a false-positive rate of {fpr}.");
        foreach (var score in scores.Where(score => File.Exists(run.File(WorstFile(score)))))
            yield return (WorstFile(score), $"The {WorstCount} test examples with the highest {score}, worst first (odd rows), above their reconstructions (even rows).");
    }

    /// <summary>Step histograms of a score for the normal and the anomalous examples, each normalised to sum 1, with the threshold.</summary>
    public static void SaveHistograms(string path, ScoreColumn column, bool[] anomalous, double threshold, double fpr)
    {
        var values = column.Values;
        // A long tail of anomalies would squash the normal examples into one bin: the top 1 % share the last bin.
        double low = values.Min(), high = DetectionMetrics.Quantile(values, 0.99);
        high = Math.Max(high, threshold);
        if (!(high > low)) high = low + 1;
        double width = (high - low) / Bins;
        var series = new List<(string, double[], double[])>();
        double tallest = 0;
        foreach (var (name, isAnomalous) in new[] { ("normal", false), ("anomalous", true) })
        {
            var members = values.Where((_, i) => anomalous[i] == isAnomalous).ToArray();
            if (members.Length == 0) continue;
            var counts = new double[Bins];
            foreach (var value in members) counts[Math.Clamp((int)((value - low) / width), 0, Bins - 1)] += 1.0 / members.Length;
            tallest = Math.Max(tallest, counts.Max());
            // A step outline: (left edge, h), (right edge, h) for every bin, down to 0 at both ends.
            var x = new List<double> { low };
            var y = new List<double> { 0 };
            for (int bin = 0; bin < Bins; bin++)
            {
                x.Add(low + bin * width); y.Add(counts[bin]);
                x.Add(low + (bin + 1) * width); y.Add(counts[bin]);
            }
            x.Add(high); y.Add(0);
            series.Add(($"{name} ({members.Length})", x.ToArray(), y.ToArray()));
        }
        series.Add(($"threshold (fpr {fpr.ToString("G3", CultureInfo.InvariantCulture)} on validation)", [threshold, threshold], [0, tallest]));
        Plots.Lines(path, $"{column.Name}: normal and anomalous test examples", column.Name, "fraction of the group", series);
    }

    /// <summary>The ROC curve of every score, with its AUROC in the legend, and the chance diagonal.</summary>
    public static void SaveRocCurves(string path, IReadOnlyList<ScoreColumn> scores, bool[] anomalous)
    {
        var series = new List<(string, double[], double[])>();
        foreach (var column in scores)
        {
            var (falsePositiveRate, truePositiveRate) = DetectionMetrics.RocCurve(column.Values, anomalous);
            if (falsePositiveRate.Length == 0) continue;
            double auroc = DetectionMetrics.Auroc(column.Values, anomalous);
            series.Add(($"{column.Name} (AUROC {auroc.ToString("F3", CultureInfo.InvariantCulture)})", falsePositiveRate, truePositiveRate));
        }
        series.Add(("chance", [0, 1], [0, 1]));
        Plots.Lines(path, "ROC curves on the test split", "false-positive rate (normal examples flagged)", "true-positive rate (anomalies detected)", series, legendLowerRight: true);
    }

    /// <summary>The worst-scored test examples above their reconstructions; false for data that are not images.</summary>
    public static bool SaveWorst(string path, Autoencoder model, Dataset test, ScoreColumn column, int count = WorstCount)
    {
        if (test.Shape.Kind != DataKind.Image || test.Count == 0) return false;
        var worst = Enumerable.Range(0, column.Values.Length).OrderByDescending(i => column.Values[i]).Take(count).ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var originals = test.Subset(worst).Features;
        var reconstructions = model.Reconstruct(originals);
        int columns = Math.Min(8, worst.Length);
        ImageGrid.Save(path, ImageGrid.Pairs(originals, reconstructions, columns), columns, scale: 2);
        return true;
    }
}
