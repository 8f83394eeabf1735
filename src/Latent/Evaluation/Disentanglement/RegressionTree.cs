// A least-squares regression tree, grown as scikit-learn's DecisionTreeRegressor(criterion=
// "friedman_mse", splitter="best", max_depth=3) grows the trees of its gradient boosting:
//
// * a node is split only if it is shallower than the maximum depth, holds at least 2 examples and
//   its impurity (the variance of its targets, Σy²/n − (Σy/n)²) exceeds float64's machine epsilon;
// * the split maximises Friedman's (2001, eq. 35) improvement proxy (n_r·Σ_l y − n_l·Σ_r y)² / (n_l·n_r),
//   which orders splits as the decrease in squared error does; a split may fall only between two
//   consecutive values of a feature that differ by more than 1e-7 (float32 features, as scikit-learn
//   casts them), at the threshold halfway between them, and examples with x ≤ threshold go left;
// * ties between features go to the lower feature index (scikit-learn visits features in a random
//   order, so among exactly equal improvements its choice is itself random).
//
// The tree is grown one depth at a time with every feature presorted once (as in SLIQ, Mehta et al.
// 1996): each level is one pass over each feature's sorted order, which visits every open node's
// examples in that feature's order. The importance of a feature is the total weighted impurity
// decrease n·i − n_l·i_l − n_r·i_r of its splits, divided by the number of examples (scikit-learn's
// compute_feature_importances(normalize=False)).

namespace Latent.Evaluation.Disentanglement;

/// <summary>A least-squares regression tree of limited depth, as scikit-learn grows them for gradient boosting.</summary>
public sealed class RegressionTree
{
    /// <summary>Values of a feature closer than this are not split apart (scikit-learn's FEATURE_THRESHOLD).</summary>
    public const float FeatureThreshold = 1e-7f;

    /// <summary>A node whose impurity is at most this is a leaf (scikit-learn's EPSILON, float64's machine epsilon).</summary>
    public const double Epsilon = 2.220446049250313e-16;

    /// <summary>A node: a split (feature ≥ 0) or a leaf (feature −1, with its value).</summary>
    readonly record struct Node(int Feature, double Threshold, int Left, int Right);

    readonly List<Node> _nodes;
    readonly double[] _values;

    RegressionTree(List<Node> nodes, double[] importances)
    {
        _nodes = nodes;
        _values = new double[nodes.Count];
        Importances = importances;
    }

    /// <summary>Nodes, splits and leaves together (1 for a tree that never split).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Total impurity decrease of each feature's splits divided by the number of examples (not normalised).</summary>
    public double[] Importances { get; }

    /// <summary>Whether node <paramref name="node"/> is a leaf.</summary>
    public bool IsLeaf(int node) => _nodes[node].Feature < 0;

    /// <summary>Sets the prediction of a leaf (gradient boosting replaces the mean by a Newton step).</summary>
    public void SetValue(int leaf, double value) => _values[leaf] = value;

    /// <summary>The leaf that example <paramref name="row"/> of <paramref name="columns"/> [feature][example] falls into.</summary>
    public int Leaf(IReadOnlyList<float[]> columns, int row)
    {
        int node = 0;
        while (_nodes[node].Feature >= 0)
            node = columns[_nodes[node].Feature][row] <= _nodes[node].Threshold ? _nodes[node].Left : _nodes[node].Right;
        return node;
    }

    /// <summary>The prediction for example <paramref name="row"/>.</summary>
    public double Predict(IReadOnlyList<float[]> columns, int row) => _values[Leaf(columns, row)];

    /// <summary>Indices of the examples sorted by each feature: [feature][rank] → example.</summary>
    public static int[][] SortedOrders(IReadOnlyList<float[]> columns) =>
        columns.Select(column =>
        {
            var order = Enumerable.Range(0, column.Length).ToArray();
            Array.Sort((float[])column.Clone(), order);
            return order;
        }).ToArray();

    /// <summary>
    /// Grows a tree on features [feature][example] (with <paramref name="sortedOrders"/> from
    /// <see cref="SortedOrders"/>) and targets [example]; <paramref name="leafOf"/> is each example's
    /// leaf. Leaf values are the mean target of their examples until <see cref="SetValue"/> changes them.
    /// </summary>
    public static RegressionTree Fit(IReadOnlyList<float[]> columns, int[][] sortedOrders, double[] target, int maxDepth, out int[] leafOf)
    {
        int n = target.Length, features = columns.Count;
        var nodes = new List<Node> { new(-1, 0, -1, -1) };
        var count = new List<int> { n };
        var sum = new List<double> { 0 };
        var squares = new List<double> { 0 };
        for (int i = 0; i < n; i++) (sum[0], squares[0]) = (sum[0] + target[i], squares[0] + target[i] * target[i]);
        var impurity = new List<double> { Impurity(count[0], sum[0], squares[0]) };
        var importances = new double[features];
        leafOf = new int[n];
        var nodeOf = leafOf;                       // every example starts at the root, node 0

        var open = new List<int> { 0 };
        for (int depth = 0; depth < maxDepth && open.Count > 0; depth++)
        {
            var splittable = open.Where(node => count[node] >= 2 && impurity[node] > Epsilon).ToList();
            if (splittable.Count == 0) break;
            int slots = nodes.Count;
            var isOpen = new bool[slots];
            foreach (int node in splittable) isOpen[node] = true;
            var bestProxy = Enumerable.Repeat(double.NegativeInfinity, slots).ToArray();
            var bestFeature = new int[slots];
            var bestThreshold = new double[slots];
            var leftCount = new int[slots];
            var leftSum = new double[slots];
            var last = new float[slots];
            for (int feature = 0; feature < features; feature++)
            {
                var column = columns[feature];
                foreach (int node in splittable) (leftCount[node], leftSum[node]) = (0, 0);
                foreach (int example in sortedOrders[feature])
                {
                    int node = nodeOf[example];
                    if (!isOpen[node]) continue;
                    float value = column[example];
                    int nl = leftCount[node];
                    if (nl > 0 && value > last[node] + FeatureThreshold)
                    {
                        int nr = count[node] - nl;
                        double sl = leftSum[node], sr = sum[node] - sl;
                        double difference = nr * sl - nl * sr;
                        double proxy = difference * difference / ((double)nl * nr);
                        if (proxy > bestProxy[node])
                        {
                            bestProxy[node] = proxy;
                            bestFeature[node] = feature;
                            // Halfway (as a sum of halves, which cannot overflow); the lower value if that rounds up to the upper.
                            double threshold = last[node] / 2.0 + value / 2.0;
                            bestThreshold[node] = threshold == value || double.IsInfinity(threshold) ? last[node] : threshold;
                        }
                    }
                    leftCount[node] = nl + 1;
                    leftSum[node] += target[example];
                    last[node] = value;
                }
            }

            // Children of every node that found a split, then each of its examples sent left or right.
            var children = new List<int>();
            var leftChild = new int[slots];
            Array.Fill(leftChild, -1);
            foreach (int node in splittable)
            {
                if (double.IsNegativeInfinity(bestProxy[node])) continue;
                int left = nodes.Count;
                nodes[node] = new Node(bestFeature[node], bestThreshold[node], left, left + 1);
                leftChild[node] = left;
                for (int side = 0; side < 2; side++)
                {
                    nodes.Add(new Node(-1, 0, -1, -1));
                    count.Add(0);
                    sum.Add(0);
                    squares.Add(0);
                    impurity.Add(0);
                    children.Add(left + side);
                }
            }
            if (children.Count == 0) break;
            for (int example = 0; example < n; example++)
            {
                int node = nodeOf[example];
                if (node >= slots || leftChild[node] < 0) continue;
                var split = nodes[node];
                int child = columns[split.Feature][example] <= split.Threshold ? split.Left : split.Right;
                nodeOf[example] = child;
                double y = target[example];
                count[child]++;
                sum[child] += y;
                squares[child] += y * y;
            }
            foreach (int node in splittable)
            {
                if (leftChild[node] < 0) continue;
                int left = leftChild[node], right = left + 1;
                impurity[left] = Impurity(count[left], sum[left], squares[left]);
                impurity[right] = Impurity(count[right], sum[right], squares[right]);
                importances[nodes[node].Feature] += count[node] * impurity[node] - count[left] * impurity[left] - count[right] * impurity[right];
            }
            open = children;
        }

        for (int f = 0; f < features; f++) importances[f] /= n;
        var tree = new RegressionTree(nodes, importances);
        for (int node = 0; node < nodes.Count; node++)
            if (nodes[node].Feature < 0 && count[node] > 0) tree._values[node] = sum[node] / count[node];
        return tree;
    }

    /// <summary>The variance of a node's targets, Σy²/n − (Σy/n)² (scikit-learn's MSE node impurity).</summary>
    static double Impurity(int count, double sum, double squares) => squares / count - sum / count * (sum / count);
}
