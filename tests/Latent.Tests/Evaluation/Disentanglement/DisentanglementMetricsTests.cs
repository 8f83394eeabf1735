using Latent.Evaluation.Disentanglement;
using static Latent.Tests.Evaluation.Disentanglement.SyntheticCodes;

namespace Latent.Tests.Evaluation.Disentanglement;

/// <summary>MIG, DCI and SAP on seeded codes whose disentanglement is known, and the pieces they are built from.</summary>
public sealed class DisentanglementMetricsTests
{
    const int Count = 900;

    static DisentanglementResult Score(float[][] codes, int[][] factors) =>
        DisentanglementEvaluation.Score(codes, Named(factors), new Dictionary<string, float[]>());

    [Fact]
    public void A_perfectly_disentangled_code_scores_near_one_on_every_metric()
    {
        var factors = Factors(Count);
        var result = Score(Perfect(factors), factors);
        Assert.InRange(result.Mig.Score, 0.95, 1.0);
        Assert.InRange(result.Dci.Disentanglement, 0.9, 1.0);
        Assert.InRange(result.Dci.Completeness, 0.9, 1.0);
        Assert.Equal(1.0, result.Dci.Informativeness);
        // SAP's one-vs-rest linear SVM on a single dimension (C = 0.01) cannot carve the middle classes out
        // of an ordered 5-class factor, so even the factor's own dimension predicts only some of it; the
        // other dimensions are at chance (1/5), and the gap is what is left.
        Assert.InRange(result.Sap.Score, 0.3, 0.5);
        foreach (int k in Enumerable.Range(0, 3))
            Assert.Equal(k, Enumerable.Range(0, 4).MaxBy(j => result.Sap.Accuracy[j][k]));
    }

    [Fact]
    public void Rotating_two_dimensions_into_each_other_lowers_every_metric_but_informativeness()
    {
        var factors = Factors(Count);
        var perfect = Score(Perfect(factors), factors);
        var mixed = Score(Mixed(factors), factors);
        Assert.True(mixed.Mig.Score < perfect.Mig.Score - 0.3, $"MIG {mixed.Mig.Score} against {perfect.Mig.Score}");
        Assert.True(mixed.Dci.Disentanglement < perfect.Dci.Disentanglement - 0.2, $"D {mixed.Dci.Disentanglement}");
        Assert.True(mixed.Dci.Completeness < perfect.Dci.Completeness - 0.2, $"C {mixed.Dci.Completeness}");
        Assert.True(mixed.Sap.Score < perfect.Sap.Score - 0.2, $"SAP {mixed.Sap.Score}");
        Assert.True(mixed.Dci.Informativeness > 0.9, $"I {mixed.Dci.Informativeness}: the information is all still there");
    }

    [Fact]
    public void A_code_unrelated_to_the_factors_scores_near_zero_and_predicts_at_chance()
    {
        var factors = Factors(Count);
        var result = Score(Unrelated(Count, 4), factors);
        Assert.InRange(result.Mig.Score, 0, 0.05);
        Assert.InRange(result.Sap.Score, 0, 0.06);
        Assert.InRange(result.Dci.Informativeness, 0.1, 0.3);      // 5 classes: chance is 0.2
    }

    [Fact]
    public void The_histogram_discretiser_follows_numpy_digitize_of_histogram_edges()
    {
        // Edges at 0, 1, …, 19 for values 0 … 20: each value is counted by the left edges at or below it.
        var values = Enumerable.Range(0, 21).Select(v => (float)v).ToArray();
        var bins = MutualInformationGap.Discretise(values);
        Assert.Equal(Enumerable.Range(1, 20).Append(20), bins);
        // A constant code gets the range [v − 0.5, v + 0.5], as numpy widens it, so it lands in bin 11.
        Assert.Equal([11, 11, 11], MutualInformationGap.Discretise([3f, 3f, 3f]));
    }

    [Fact]
    public void Mutual_information_of_a_labeling_with_itself_is_its_entropy()
    {
        int[] uniform = [0, 1, 2, 3, 0, 1, 2, 3];
        Assert.Equal(Math.Log(4), MutualInformationGap.Entropy(uniform), 12);
        Assert.Equal(0, MutualInformationGap.MutualInformation(uniform, [5, 5, 5, 5, 5, 5, 5, 5]), 12);
        // A bijective relabeling carries everything.
        Assert.Equal(Math.Log(4), MutualInformationGap.MutualInformation(uniform, [9, 7, 8, 6, 9, 7, 8, 6]), 12);
    }

    [Fact]
    public void A_regression_tree_splits_a_step_between_the_two_values_and_credits_that_feature()
    {
        float[] useful = [0.1f, 0.2f, 0.3f, 0.7f, 0.8f, 0.9f], useless = [5, 1, 4, 2, 6, 3];
        double[] target = [0, 0, 0, 1, 1, 1];
        float[][] columns = [useless, useful];
        var tree = RegressionTree.Fit(columns, RegressionTree.SortedOrders(columns), target, maxDepth: 3, out var leafOf);
        Assert.Equal(3, tree.NodeCount);                                   // one split, two pure leaves
        Assert.Equal(0.25, tree.Importances[1], 12);                       // variance 1/4 removed entirely
        Assert.Equal(0, tree.Importances[0]);
        Assert.Equal([0.0, 0, 0, 1, 1, 1], Enumerable.Range(0, 6).Select(i => tree.Predict(columns, i)));
        Assert.Equal(leafOf[0], tree.Leaf([useless, [0.5f, 0, 0, 0, 0, 0]], 0));   // 0.5 is the threshold: ≤ goes left
    }

    [Fact]
    public void Gradient_boosting_fits_separable_classes_and_gives_the_informative_feature_the_importance()
    {
        var factors = Factors(300, factors: 1, classes: 3);
        var codes = Perfect(factors, extra: 2);
        var classifier = GradientBoostedTrees.Fit(codes, factors[0]);
        Assert.Equal(factors[0], classifier.Predict(codes));
        Assert.True(classifier.FeatureImportances[0] > 0.95, string.Join(", ", classifier.FeatureImportances));
        Assert.Equal(1, classifier.FeatureImportances.Sum(), 9);
        var binary = GradientBoostedTrees.Fit(codes, factors[0].Select(c => c == 2 ? 7 : 3).ToArray());
        Assert.Equal(factors[0].Select(c => c == 2 ? 7 : 3), binary.Predict(codes));
    }

    [Fact]
    public void The_linear_svm_reaches_the_primal_optimum_and_separates_ordered_classes()
    {
        var x = Enumerable.Range(0, 60).Select(i => (float)(i / 10.0)).ToArray();
        var labels = x.Select(v => v < 2 ? 0 : v < 4 ? 1 : 2).ToArray();
        var svm = LinearSvm.Fit(x, labels, c: 1);
        Assert.True(svm.Predict(x).Zip(labels).Count(p => p.First == p.Second) >= 50);   // one-vs-rest cannot isolate the middle class exactly
        // Each one-vs-rest line minimises its objective: no small step improves it.
        for (int k = 0; k < 3; k++)
        {
            var (weight, bias) = svm.Lines[k];
            var xs = x.Select(v => (double)v).ToArray();
            var sign = labels.Select(l => l == k ? 1.0 : -1.0).ToArray();
            double balanced = 60 / (3.0 * labels.Count(l => l == k));
            var cost = labels.Select(l => l == k ? balanced : 1.0).ToArray();
            double best = LinearSvm.Objective(xs, sign, cost, weight, bias);
            foreach (var (dw, db) in new[] { (1e-4, 0.0), (-1e-4, 0.0), (0.0, 1e-4), (0.0, -1e-4) })
                Assert.True(LinearSvm.Objective(xs, sign, cost, weight + dw, bias + db) >= best);
        }
    }

    [Fact]
    public void Dci_of_a_diagonal_importance_matrix_is_one_and_of_a_uniform_one_is_zero()
    {
        double[][] diagonal = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
        Assert.Equal(1, Dci.Disentanglement(diagonal), 6);
        Assert.Equal(1, Dci.Completeness(diagonal), 6);
        double[][] uniform = [[1, 1, 1], [1, 1, 1], [1, 1, 1]];
        Assert.Equal(0, Dci.Disentanglement(uniform), 9);
        Assert.Equal(0, Dci.Completeness(uniform), 9);
    }
}
