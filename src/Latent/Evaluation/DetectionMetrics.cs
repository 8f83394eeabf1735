// How well a score separates anomalies (positives) from normal examples, computed exactly:
//   AUROC as the Mann–Whitney statistic, (R₊ − n₊(n₊+1)/2) / (n₊·n₋) with R₊ the sum of the positives'
//   ranks and tied scores given their average rank (Hanley & McNeil 1982): the probability that a random
//   anomaly scores above a random normal example, ties counting one half;
//   AUPRC as average precision, AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct scores from the highest down
//   (as scikit-learn's average_precision_score: no interpolation, tied scores form one threshold);
//   thresholds at the q-quantile of normal scores with linear interpolation (numpy's default, Hyndman & Fan type 7).

namespace Latent.Evaluation;

/// <summary>Exact detection figures of one score: higher means more anomalous.</summary>
public static class DetectionMetrics
{
    /// <summary>
    /// The area under the ROC curve; NaN when either class is absent. <paramref name="anomalous"/>[i] says
    /// whether example i is a positive. Tied scores count one half, so a constant score gives 0.5.
    /// </summary>
    public static double Auroc(IReadOnlyList<double> scores, IReadOnlyList<bool> anomalous)
    {
        CheckLengths(scores, anomalous);
        var ranks = AverageRanks(scores);
        long positives = anomalous.LongCount(a => a), negatives = anomalous.Count - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        double rankSum = 0;
        for (int i = 0; i < scores.Count; i++)
            if (anomalous[i]) rankSum += ranks[i];
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Average precision (the area under the precision–recall curve, step-wise); NaN without positives.</summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> anomalous)
    {
        CheckLengths(scores, anomalous);
        long positives = anomalous.LongCount(a => a);
        if (positives == 0) return double.NaN;
        double precisionSum = 0;
        long previousTruePositives = 0;
        foreach (var (truePositives, falsePositives) in Thresholds(scores, anomalous))
        {
            // One threshold per distinct score: recall rises by (TP − previous TP)/P at precision TP/(TP + FP).
            precisionSum += (truePositives - previousTruePositives) * ((double)truePositives / (truePositives + falsePositives));
            previousTruePositives = truePositives;
        }
        return precisionSum / positives;
    }

    /// <summary>
    /// The counts (TP, FP) of examples at or above each distinct score, from the highest score down: one
    /// threshold per distinct score, ties counted together.
    /// </summary>
    static IEnumerable<(long TruePositives, long FalsePositives)> Thresholds(IReadOnlyList<double> scores, IReadOnlyList<bool> anomalous)
    {
        var order = Descending(scores);
        long truePositives = 0, falsePositives = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
            {
                if (anomalous[order[end]]) truePositives++;
                else falsePositives++;
                end++;
            }
            yield return (truePositives, falsePositives);
            start = end;
        }
    }

    /// <summary>
    /// The ROC curve: (false-positive rate, true-positive rate) at every distinct threshold, from (0, 0)
    /// to (1, 1); empty when either class is absent.
    /// </summary>
    public static (double[] FalsePositiveRate, double[] TruePositiveRate) RocCurve(IReadOnlyList<double> scores, IReadOnlyList<bool> anomalous)
    {
        CheckLengths(scores, anomalous);
        long positives = anomalous.LongCount(a => a), negatives = anomalous.Count - positives;
        if (positives == 0 || negatives == 0) return ([], []);
        var (falsePositiveRates, truePositiveRates) = (new List<double> { 0 }, new List<double> { 0 });
        foreach (var (truePositives, falsePositives) in Thresholds(scores, anomalous))
        {
            falsePositiveRates.Add((double)falsePositives / negatives);
            truePositiveRates.Add((double)truePositives / positives);
        }
        return ([.. falsePositiveRates], [.. truePositiveRates]);
    }

    /// <summary>
    /// The <paramref name="quantile"/>-quantile of <paramref name="values"/> with linear interpolation between
    /// order statistics (numpy.quantile's default): the threshold above which a fraction of at most 1 − q lies.
    /// </summary>
    public static double Quantile(IReadOnlyList<double> values, double quantile)
    {
        if (values.Count == 0) throw new ArgumentException("the quantile of no values", nameof(values));
        if (quantile is < 0 or > 1 || double.IsNaN(quantile)) throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "a quantile is in [0, 1]");
        var sorted = values.Order().ToArray();
        double position = quantile * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>The fraction of <paramref name="scores"/> strictly above <paramref name="threshold"/> (NaN for none).</summary>
    public static double FractionAbove(IEnumerable<double> scores, double threshold)
    {
        long above = 0, count = 0;
        foreach (var score in scores)
        {
            count++;
            if (score > threshold) above++;
        }
        return count == 0 ? double.NaN : (double)above / count;
    }

    /// <summary>Ranks 1..N of the scores in ascending order, tied scores sharing the mean of their ranks.</summary>
    static double[] AverageRanks(IReadOnlyList<double> scores)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]]) end++;
            double rank = (start + 1 + end) / 2.0; // the mean of ranks start+1 … end
            for (int k = start; k < end; k++) ranks[order[k]] = rank;
            start = end;
        }
        return ranks;
    }

    static int[] Descending(IReadOnlyList<double> scores) => Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ToArray();

    static void CheckLengths(IReadOnlyList<double> scores, IReadOnlyList<bool> anomalous)
    {
        if (scores.Count != anomalous.Count) throw new ArgumentException($"{scores.Count} scores but {anomalous.Count} labels", nameof(anomalous));
        if (scores.Any(double.IsNaN)) throw new ArgumentException("a score is NaN", nameof(scores));
    }
}
