// Gradient-boosted classification trees: Friedman 2001, "Greedy function approximation: a gradient
// boosting machine", algorithm 6 (K-class logistic) and the two-class case, with the defaults of
// scikit-learn's GradientBoostingClassifier (1.2), which disentanglement_lib's DCI uses:
// 100 stages, trees of depth 3 (RegressionTree), learning rate 0.1, no subsampling, log-loss.
//
//   F⁽⁰⁾ = log of the class priors (two classes: the prior log-odds), priors clipped to [ε₃₂, 1 − ε₃₂];
//   each stage m, each class k (one tree in all for two classes):
//     r_i = y_ik − p_k(x_i),  p = softmax(F⁽ᵐ⁻¹⁾) (two classes: y_i − σ(F)),
//     grow a regression tree on r; in each leaf R replace the mean by one Newton step
//       γ = (K − 1)/K · Σ_R r / Σ_R |r|(1 − |r|)      (two classes: Σ_R r / Σ_R p(1 − p)),
//       0 where the denominator is below 1e-150;
//     F_k ← F_k + 0.1·γ(leaf of x).
//   The prediction is the class with the largest probability (the first on ties).
//
// Feature importances are scikit-learn's: each tree's impurity decreases per feature (divided by
// the number of examples), averaged over the trees that split at least once, normalised to sum 1.

namespace Latent.Evaluation.Disentanglement;

/// <summary>A gradient-boosted tree classifier with scikit-learn's GradientBoostingClassifier defaults.</summary>
public sealed class GradientBoostedTrees
{
    /// <summary>Boosting stages (scikit-learn's n_estimators).</summary>
    public const int Stages = 100;

    /// <summary>Depth of every tree (scikit-learn's max_depth).</summary>
    public const int MaxDepth = 3;

    /// <summary>Shrinkage of every stage (scikit-learn's learning_rate).</summary>
    public const double LearningRate = 0.1;

    /// <summary>Leaves whose Newton denominator is below this get 0 (scikit-learn's guard).</summary>
    const double TinyDenominator = 1e-150;

    /// <summary>float32's machine epsilon, which clips the prior probabilities.</summary>
    const double Float32Epsilon = 1.1920928955078125e-07;

    readonly int[] _classes;
    readonly double[] _initial;
    readonly List<RegressionTree[]> _stages;

    GradientBoostedTrees(int[] classes, double[] initial, List<RegressionTree[]> stages, double[] importances)
    {
        _classes = classes;
        _initial = initial;
        _stages = stages;
        FeatureImportances = importances;
    }

    /// <summary>The distinct labels seen in training, ascending; predictions are among them.</summary>
    public IReadOnlyList<int> Classes => _classes;

    /// <summary>Mean impurity decrease of each feature over the trees, normalised to sum 1 (all 0 when no tree split).</summary>
    public double[] FeatureImportances { get; }

    /// <summary>Fits on features [feature][example] and labels [example]; <paramref name="sortedOrders"/> can be shared between fits on the same features.</summary>
    public static GradientBoostedTrees Fit(IReadOnlyList<float[]> columns, int[] labels, int[][]? sortedOrders = null)
    {
        int n = labels.Length;
        if (columns.Any(column => column.Length != n)) throw new ArgumentException("one label per example is required", nameof(labels));
        var classes = labels.Distinct().Order().ToArray();
        if (classes.Length < 2) throw new ArgumentException($"gradient boosting needs at least two classes; the labels are all {classes.FirstOrDefault()}", nameof(labels));
        sortedOrders ??= RegressionTree.SortedOrders(columns);
        var encoded = labels.Select(label => Array.BinarySearch(classes, label)).ToArray();
        bool binary = classes.Length == 2;
        int outputs = binary ? 1 : classes.Length;

        var priors = classes.Select((_, k) => Math.Clamp(encoded.Count(c => c == k) / (double)n, Float32Epsilon, 1 - Float32Epsilon)).ToArray();
        var initial = binary ? [Math.Log(priors[1] / (1 - priors[1]))] : priors.Select(p => Math.Log(p)).ToArray();
        var raw = new double[n * outputs];
        for (int i = 0; i < n; i++) Array.Copy(initial, 0, raw, i * outputs, outputs);

        var stages = new List<RegressionTree[]>(Stages);
        var importanceSum = new double[columns.Count];
        int splitTrees = 0;
        var residual = new double[n];
        var indicator = new double[n];
        var probabilities = new double[raw.Length];
        for (int stage = 0; stage < Stages; stage++)
        {
            // Every class's gradient is taken at the predictions before this stage.
            for (int i = 0; i < n; i++)
                for (int k = 0; k < outputs; k++)
                    probabilities[i * outputs + k] = binary ? Sigmoid(raw[i]) : Softmax(raw, i * outputs, outputs, k);
            var trees = new RegressionTree[outputs];
            for (int k = 0; k < outputs; k++)
            {
                for (int i = 0; i < n; i++)
                {
                    indicator[i] = binary ? encoded[i] : encoded[i] == k ? 1 : 0;
                    residual[i] = indicator[i] - probabilities[i * outputs + k];
                }
                var tree = RegressionTree.Fit(columns, sortedOrders, residual, MaxDepth, out var leafOf);
                NewtonStep(tree, leafOf, residual, indicator, binary ? 1 : (outputs - 1.0) / outputs);
                for (int i = 0; i < n; i++) raw[i * outputs + k] += LearningRate * tree.Predict(columns, i);
                if (tree.NodeCount > 1)
                {
                    splitTrees++;
                    for (int f = 0; f < importanceSum.Length; f++) importanceSum[f] += tree.Importances[f];
                }
                trees[k] = tree;
            }
            stages.Add(trees);
        }

        var importances = new double[columns.Count];
        if (splitTrees > 0)
        {
            var mean = importanceSum.Select(value => value / splitTrees).ToArray();
            double total = mean.Sum();
            for (int f = 0; f < importances.Length; f++) importances[f] = mean[f] / total;
        }
        return new GradientBoostedTrees(classes, initial, stages, importances);
    }

    /// <summary>The predicted label of every example of <paramref name="columns"/> [feature][example].</summary>
    public int[] Predict(IReadOnlyList<float[]> columns)
    {
        int n = columns[0].Length, outputs = _initial.Length;
        var predictions = new int[n];
        var raw = new double[outputs];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(_initial, raw, outputs);
            foreach (var trees in _stages)
                for (int k = 0; k < outputs; k++) raw[k] += LearningRate * trees[k].Predict(columns, i);
            if (outputs == 1)
            {
                double positive = Sigmoid(raw[0]);
                predictions[i] = _classes[positive > 1 - positive ? 1 : 0];
            }
            else
            {
                int best = 0;
                double bestProbability = Softmax(raw, 0, outputs, 0);
                for (int k = 1; k < outputs; k++)
                {
                    double probability = Softmax(raw, 0, outputs, k);
                    if (probability > bestProbability) (best, bestProbability) = (k, probability);
                }
                predictions[i] = _classes[best];
            }
        }
        return predictions;
    }

    /// <summary>Replaces every leaf's mean by the Newton step factor·Σr / Σ(y − r)(1 − y + r) over its examples.</summary>
    static void NewtonStep(RegressionTree tree, int[] leafOf, double[] residual, double[] indicator, double factor)
    {
        var numerator = new Dictionary<int, double>();
        var denominator = new Dictionary<int, double>();
        for (int i = 0; i < leafOf.Length; i++)
        {
            int leaf = leafOf[i];
            numerator[leaf] = numerator.GetValueOrDefault(leaf) + residual[i];
            denominator[leaf] = denominator.GetValueOrDefault(leaf) + (indicator[i] - residual[i]) * (1 - indicator[i] + residual[i]);
        }
        foreach (var (leaf, sum) in numerator)
            tree.SetValue(leaf, Math.Abs(denominator[leaf]) < TinyDenominator ? 0 : sum * factor / denominator[leaf]);
    }

    static double Sigmoid(double value) => 1 / (1 + Math.Exp(-value));

    /// <summary>softmax(raw[offset..offset+count])_k, computed as exp(raw_k − logsumexp(raw)).</summary>
    static double Softmax(double[] raw, int offset, int count, int k)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < count; j++) max = Math.Max(max, raw[offset + j]);
        double sum = 0;
        for (int j = 0; j < count; j++) sum += Math.Exp(raw[offset + j] - max);
        return Math.Exp(raw[offset + k] - (Math.Log(sum) + max));
    }
}
