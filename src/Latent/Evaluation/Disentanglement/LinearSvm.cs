// A linear support vector classifier on one feature, the one SAP fits per (code dimension, factor):
// scikit-learn's LinearSVC(C=0.01, class_weight="balanced") with its other defaults (squared hinge
// loss, L2 penalty, an intercept that is penalised like a weight, since liblinear appends a constant
// feature 1, one-vs-rest for more than two classes). Each binary problem is the primal
//
//   min_θ ½‖θ‖² + Σ_i C_i · max(0, 1 − y_i θᵀx̃_i)²,   x̃ = (x, 1), y = ±1,
//
// (Fan et al. 2008, "LIBLINEAR", eq. 2 with the L2 loss), where, as liblinear does it, the positive
// examples of class c get C·w_c with the balanced weight w_c = n / (classes · n_c) and the negatives
// get C unweighted; with two classes, class 1 is the positive one and each side gets its own weight.
// liblinear solves the dual by coordinate descent to a tolerance; here the strictly convex primal
// in θ ∈ ℝ² is solved to convergence by Newton's method with a backtracking line search (its
// objective is piecewise quadratic and once differentiable, so generalised Newton applies), which
// is the optimum liblinear approaches. The prediction is the class with the largest decision value
// (with two classes: class 1 where θᵀx̃ > 0).

namespace Latent.Evaluation.Disentanglement;

/// <summary>LinearSVC(C, class_weight="balanced") on a single feature, solved exactly in the primal.</summary>
public sealed class LinearSvm
{
    /// <summary>The regularisation constant SAP uses (disentanglement_lib's sap_score.py).</summary>
    public const double DefaultC = 0.01;

    const int MaxNewtonSteps = 200;

    readonly int[] _classes;
    readonly (double Weight, double Bias)[] _lines;

    LinearSvm(int[] classes, (double, double)[] lines)
    {
        _classes = classes;
        _lines = lines;
    }

    /// <summary>The decision function of each binary problem: one for two classes, one per class otherwise.</summary>
    public IReadOnlyList<(double Weight, double Bias)> Lines => _lines;

    /// <summary>Fits on one feature per example and the examples' labels.</summary>
    public static LinearSvm Fit(float[] feature, int[] labels, double c = DefaultC)
    {
        if (feature.Length != labels.Length) throw new ArgumentException("one label per example is required", nameof(labels));
        var classes = labels.Distinct().Order().ToArray();
        if (classes.Length < 2) throw new ArgumentException("a classifier needs at least two classes", nameof(labels));
        int n = labels.Length;
        var encoded = labels.Select(label => Array.BinarySearch(classes, label)).ToArray();
        var balanced = classes.Select((_, k) => n / (classes.Length * (double)encoded.Count(e => e == k))).ToArray();
        var x = feature.Select(value => (double)value).ToArray();
        var sign = new double[n];
        var cost = new double[n];
        if (classes.Length == 2)
        {
            for (int i = 0; i < n; i++) (sign[i], cost[i]) = (encoded[i] == 1 ? 1 : -1, c * balanced[encoded[i]]);
            return new LinearSvm(classes, [Solve(x, sign, cost)]);
        }
        var lines = new (double, double)[classes.Length];
        for (int k = 0; k < classes.Length; k++)
        {
            for (int i = 0; i < n; i++) (sign[i], cost[i]) = encoded[i] == k ? (1, c * balanced[k]) : (-1, c);
            lines[k] = Solve(x, sign, cost);
        }
        return new LinearSvm(classes, lines);
    }

    /// <summary>The predicted label of each value.</summary>
    public int[] Predict(float[] feature) => feature.Select(value =>
    {
        if (_lines.Length == 1) return _classes[_lines[0].Weight * value + _lines[0].Bias > 0 ? 1 : 0];
        int best = 0;
        for (int k = 1; k < _lines.Length; k++)
            if (_lines[k].Weight * value + _lines[k].Bias > _lines[best].Weight * value + _lines[best].Bias) best = k;
        return _classes[best];
    }).ToArray();

    /// <summary>The objective ½(w² + b²) + Σ C_i max(0, 1 − y_i(w x_i + b))².</summary>
    public static double Objective(double[] x, double[] sign, double[] cost, double weight, double bias)
    {
        double value = 0.5 * (weight * weight + bias * bias);
        for (int i = 0; i < x.Length; i++)
        {
            double slack = 1 - sign[i] * (weight * x[i] + bias);
            if (slack > 0) value += cost[i] * slack * slack;
        }
        return value;
    }

    /// <summary>Newton's method on the 2-parameter primal, from θ = 0, until the gradient vanishes to rounding.</summary>
    static (double Weight, double Bias) Solve(double[] x, double[] sign, double[] cost)
    {
        double weight = 0, bias = 0;
        double scale = 1 + x.Select((value, i) => cost[i] * (1 + Math.Abs(value))).Sum();
        for (int step = 0; step < MaxNewtonSteps; step++)
        {
            // Gradient g = θ − 2 Σ_active C y (1 − y θᵀx̃) x̃; Hessian H = I + 2 Σ_active C x̃ x̃ᵀ.
            double gw = weight, gb = bias, hww = 1, hwb = 0, hbb = 1;
            for (int i = 0; i < x.Length; i++)
            {
                double slack = 1 - sign[i] * (weight * x[i] + bias);
                if (slack <= 0) continue;
                double pull = 2 * cost[i] * sign[i] * slack;
                gw -= pull * x[i];
                gb -= pull;
                hww += 2 * cost[i] * x[i] * x[i];
                hwb += 2 * cost[i] * x[i];
                hbb += 2 * cost[i];
            }
            if (Math.Sqrt(gw * gw + gb * gb) <= 1e-12 * scale) break;
            double determinant = hww * hbb - hwb * hwb;
            double dw = -(hbb * gw - hwb * gb) / determinant, db = -(hww * gb - hwb * gw) / determinant;
            double current = Objective(x, sign, cost, weight, bias), slope = gw * dw + gb * db, length = 1;
            while (length > 1e-12 && Objective(x, sign, cost, weight + length * dw, bias + length * db) > current + 1e-4 * length * slope)
                length /= 2;
            if (length <= 1e-12) break;
            (weight, bias) = (weight + length * dw, bias + length * db);
        }
        return (weight, bias);
    }
}
