// Disentanglement, completeness and informativeness: Eastwood & Williams 2018, "A Framework for the
// Quantitative Evaluation of Disentangled Representations", §2, as disentanglement_lib computes it
// (evaluation/metrics/dci.py): one gradient-boosted tree classifier per factor predicts the factor
// from all code dimensions (the paper's lasso and random forest are its other regressors; the
// library, and so this, uses scikit-learn's GradientBoostingClassifier), and its feature importances
// form column k of the importance matrix R [code dimension j][factor k]. Then, with
// H_K(p) = −Σ p log_K p and a 1e-11 added to every entry before normalising (as the library does),
//
//   disentanglement = Σ_j ρ_j (1 − H_K(R_j· / Σ R_j·)),   ρ_j = Σ_k R_jk / Σ R   (K factors)
//   completeness    = Σ_k ρ_k (1 − H_D(R_·k / Σ R_·k)),   ρ_k = Σ_j R_jk / Σ R   (D dimensions)
//   informativeness = the classifiers' mean accuracy on held-out examples.

namespace Latent.Evaluation.Disentanglement;

/// <summary>DCI and the importance matrix it comes from.</summary>
/// <param name="Disentanglement">How much each code dimension captures at most one factor, weighted by its importance.</param>
/// <param name="Completeness">How much each factor is captured by a single code dimension, weighted by its importance.</param>
/// <param name="Informativeness">Mean held-out accuracy of the per-factor classifiers.</param>
/// <param name="InformativenessTrain">Their mean accuracy on the examples they were fitted to.</param>
/// <param name="Importance">R, [code dimension][factor]: each column is one classifier's feature importances (sums to 1).</param>
public sealed record DciResult(double Disentanglement, double Completeness, double Informativeness, double InformativenessTrain, double[][] Importance);

/// <summary>DCI (Eastwood &amp; Williams 2018) with gradient-boosted trees, as disentanglement_lib computes it.</summary>
public static class Dci
{
    /// <summary>Added to every importance before normalising, as disentanglement_lib does, so that log 0 never occurs.</summary>
    public const double Smoothing = 1e-11;

    /// <summary>DCI of codes [dimension][example] and factor classes [factor][example], fitting on the first set, testing on the second.</summary>
    public static DciResult Compute(IReadOnlyList<float[]> trainCodes, IReadOnlyList<int[]> trainFactors,
                                    IReadOnlyList<float[]> testCodes, IReadOnlyList<int[]> testFactors)
    {
        int dimensions = trainCodes.Count, factors = trainFactors.Count;
        var sorted = RegressionTree.SortedOrders(trainCodes);
        var importance = Enumerable.Range(0, dimensions).Select(_ => new double[factors]).ToArray();
        var trainAccuracy = new double[factors];
        var testAccuracy = new double[factors];
        Parallel.For(0, factors, k =>
        {
            var classifier = GradientBoostedTrees.Fit(trainCodes, trainFactors[k], sorted);
            for (int j = 0; j < dimensions; j++) importance[j][k] = Math.Abs(classifier.FeatureImportances[j]);
            trainAccuracy[k] = Accuracy(classifier.Predict(trainCodes), trainFactors[k]);
            testAccuracy[k] = Accuracy(classifier.Predict(testCodes), testFactors[k]);
        });
        return new DciResult(Disentanglement(importance), Completeness(importance), testAccuracy.Average(), trainAccuracy.Average(), importance);
    }

    /// <summary>Σ_j ρ_j (1 − H_K(R_j·)): the importance-weighted mean of each code dimension's disentanglement.</summary>
    public static double Disentanglement(double[][] importance)
    {
        int dimensions = importance.Length, factors = importance[0].Length;
        var perCode = importance.Select(row => 1 - Entropy(row, factors)).ToArray();
        var weights = Weights(importance, dimensions, factors, byRow: true);
        return perCode.Zip(weights, (d, w) => d * w).Sum();
    }

    /// <summary>Σ_k ρ_k (1 − H_D(R_·k)): the importance-weighted mean of each factor's completeness.</summary>
    public static double Completeness(double[][] importance)
    {
        int dimensions = importance.Length, factors = importance[0].Length;
        var perFactor = Enumerable.Range(0, factors).Select(k => 1 - Entropy(importance.Select(row => row[k]).ToArray(), dimensions)).ToArray();
        var weights = Weights(importance, dimensions, factors, byRow: false);
        return perFactor.Zip(weights, (c, w) => c * w).Sum();
    }

    /// <summary>Row (or column) sums over the total; uniform when R is all zero, as in the library.</summary>
    static double[] Weights(double[][] importance, int dimensions, int factors, bool byRow)
    {
        double total = importance.Sum(row => row.Sum());
        Func<int, int, double> entry = total == 0 ? (_, _) => 1 : (j, k) => importance[j][k];
        double all = total == 0 ? dimensions * factors : total;
        return byRow
            ? Enumerable.Range(0, dimensions).Select(j => Enumerable.Range(0, factors).Sum(k => entry(j, k)) / all).ToArray()
            : Enumerable.Range(0, factors).Select(k => Enumerable.Range(0, dimensions).Sum(j => entry(j, k)) / all).ToArray();
    }

    /// <summary>The entropy in base <paramref name="logBase"/> of the distribution proportional to values + <see cref="Smoothing"/> (scipy.stats.entropy).</summary>
    static double Entropy(double[] values, int logBase)
    {
        var smoothed = values.Select(value => value + Smoothing).ToArray();
        double total = smoothed.Sum();
        return -smoothed.Sum(value => value / total * Math.Log(value / total)) / Math.Log(logBase);
    }

    static double Accuracy(int[] predicted, int[] actual) => predicted.Zip(actual).Count(pair => pair.First == pair.Second) / (double)actual.Length;
}
