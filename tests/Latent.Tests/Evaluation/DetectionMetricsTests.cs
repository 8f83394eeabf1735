using System.Diagnostics;
using System.Globalization;
using Latent.Evaluation;

namespace Latent.Tests.Evaluation;

/// <summary>AUROC, average precision, ROC curves and quantiles: hand-computed cases and scikit-learn/numpy side by side.</summary>
public sealed class DetectionMetricsTests
{
    // scikit-learn's own example (roc_auc_score, average_precision_score docs): y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8].
    static readonly double[] ExampleScores = [0.1, 0.4, 0.35, 0.8];
    static readonly bool[] ExampleAnomalous = [false, false, true, true];

    [Fact]
    public void The_auroc_of_a_small_case_is_the_fraction_of_anomaly_normal_pairs_ranked_right()
    {
        // Pairs (anomaly, normal): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, 0.1) right, (0.8, 0.4) right: 3 of 4.
        Assert.Equal(0.75, DetectionMetrics.Auroc(ExampleScores, ExampleAnomalous), 12);
    }

    [Fact]
    public void The_average_precision_of_a_small_case_sums_precision_at_each_recall_step()
    {
        // From the top: 0.8 (anomaly) P = 1, R = 1/2; 0.4 (normal); 0.35 (anomaly) P = 2/3, R = 1. AP = ½·1 + ½·⅔.
        Assert.Equal(0.5 * 1 + 0.5 * 2.0 / 3, DetectionMetrics.AveragePrecision(ExampleScores, ExampleAnomalous), 12);
    }

    [Fact]
    public void Ties_count_one_half_and_form_one_threshold()
    {
        // A constant score cannot separate anything: AUROC 0.5, and AP is the share of anomalies.
        bool[] anomalous = [true, false, false, true, false];
        double[] constant = [2, 2, 2, 2, 2];
        Assert.Equal(0.5, DetectionMetrics.Auroc(constant, anomalous), 12);
        Assert.Equal(0.4, DetectionMetrics.AveragePrecision(constant, anomalous), 12);
        // One tied pair across the classes out of 2·2: (anomaly 3 vs normal 3) counts ½, the rest are right.
        Assert.Equal((3 + 0.5) / 4, DetectionMetrics.Auroc([1, 3, 3, 5], [false, false, true, true]), 12);
        // Ties at the top: threshold 3 admits both tied examples at once (P = 1/2, R = 1/2), then 2 (P = 2/3, R = 1).
        Assert.Equal(0.5 * 0.5 + 0.5 * (2.0 / 3), DetectionMetrics.AveragePrecision([3, 3, 1, 2], [true, false, false, true]), 12);
    }

    [Fact]
    public void Perfect_and_reversed_scores_give_one_and_zero()
    {
        bool[] anomalous = [false, false, true, true, true];
        Assert.Equal(1, DetectionMetrics.Auroc([0, 1, 2, 3, 4], anomalous), 12);
        Assert.Equal(1, DetectionMetrics.AveragePrecision([0, 1, 2, 3, 4], anomalous), 12);
        Assert.Equal(0, DetectionMetrics.Auroc([4, 3, 2, 1, 0], anomalous), 12);
        Assert.True(double.IsNaN(DetectionMetrics.Auroc([1, 2], [true, true])));
        Assert.True(double.IsNaN(DetectionMetrics.AveragePrecision([1, 2], [false, false])));
        Assert.Throws<ArgumentException>(() => DetectionMetrics.Auroc([1, double.NaN], [true, false]));
        Assert.Throws<ArgumentException>(() => DetectionMetrics.Auroc([1, 2, 3], [true, false]));
    }

    [Fact]
    public void The_roc_curve_runs_from_the_origin_to_one_one_through_every_distinct_threshold()
    {
        var (falsePositiveRate, truePositiveRate) = DetectionMetrics.RocCurve(ExampleScores, ExampleAnomalous);
        Assert.Equal([0, 0, 0.5, 0.5, 1], falsePositiveRate);
        Assert.Equal([0, 0.5, 0.5, 1, 1], truePositiveRate);
        // The trapezoids under it are the AUROC.
        double area = 0;
        for (int i = 1; i < falsePositiveRate.Length; i++)
            area += (falsePositiveRate[i] - falsePositiveRate[i - 1]) * (truePositiveRate[i] + truePositiveRate[i - 1]) / 2;
        Assert.Equal(DetectionMetrics.Auroc(ExampleScores, ExampleAnomalous), area, 12);
    }

    [Fact]
    public void Quantiles_interpolate_linearly_between_order_statistics()
    {
        Assert.Equal(2.5, DetectionMetrics.Quantile([4, 1, 3, 2], 0.5), 12);
        Assert.Equal(3.97, DetectionMetrics.Quantile([4, 1, 3, 2], 0.99), 12); // position 0.99·3 = 2.97: 3 + 0.97·(4 − 3)
        Assert.Equal(1, DetectionMetrics.Quantile([4, 1, 3, 2], 0), 12);
        Assert.Equal(4, DetectionMetrics.Quantile([4, 1, 3, 2], 1), 12);
        Assert.Equal(0.5, DetectionMetrics.FractionAbove([1, 2, 3, 4], 2.5), 12);
        Assert.Equal(0.25, DetectionMetrics.FractionAbove([1, 2, 3, 4], 3), 12); // strictly above
    }

    [SkippableFact]
    public void Auroc_average_precision_and_quantiles_match_scikit_learn_and_numpy_on_tied_random_scores()
    {
        Skip.IfNot(PythonHas("sklearn"), "python3-sklearn is not installed (apt-get install python3-sklearn)");
        var random = new Random(17);
        const int count = 3000;
        // Scores rounded to two decimals so that many tie, anomalies shifted up: AUROC well inside (0.5, 1).
        var anomalous = Enumerable.Range(0, count).Select(_ => random.NextDouble() < 0.3).ToArray();
        var scores = anomalous.Select(a => Math.Round(random.NextDouble() + (a ? 0.4 : 0), 2)).ToArray();
        using var folder = new TempDirectory();
        var path = folder.File("scores.csv");
        File.WriteAllLines(path, scores.Select((s, i) => $"{(anomalous[i] ? 1 : 0)},{s.ToString("R", CultureInfo.InvariantCulture)}"));
        var output = Python(
            "import numpy as np, sys\n" +
            "from sklearn.metrics import roc_auc_score, average_precision_score\n" +
            "d = np.loadtxt(sys.argv[1], delimiter=',')\n" +
            "y, s = d[:, 0].astype(int), d[:, 1]\n" +
            "print(repr(roc_auc_score(y, s)), repr(average_precision_score(y, s)), repr(float(np.quantile(s[y == 0], 0.99))))\n", path);
        var expected = output.Split(' ').Select(text => double.Parse(text, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected[0], DetectionMetrics.Auroc(scores, anomalous), 10);
        Assert.Equal(expected[1], DetectionMetrics.AveragePrecision(scores, anomalous), 10);
        Assert.Equal(expected[2], DetectionMetrics.Quantile(scores.Where((_, i) => !anomalous[i]).ToArray(), 0.99), 10);
    }

    static bool PythonHas(string module)
    {
        if (!File.Exists("/usr/bin/python3")) return false;
        try { Python($"import {module}"); return true; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Runs Debian's python3 (not the first on PATH) on <paramref name="script"/>; its stdout, trimmed.</summary>
    static string Python(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"python3 failed: {error}");
        return output.Trim();
    }
}
