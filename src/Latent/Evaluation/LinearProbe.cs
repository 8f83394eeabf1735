using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>
/// The linear probe of self-supervised learning (as in He et al. 2022, §4): a multinomial logistic
/// regression trained on frozen representations, judged by its accuracy on held-out examples. The
/// features are standardised with the training mean and standard deviation; the weights start at
/// zero and minimise the mean cross-entropy plus λ/2·‖W‖² (λ = <see cref="L2"/>) by full-batch
/// L-BFGS for at most <see cref="Iterations"/> iterations, so the result is deterministic and needs no
/// seed or learning-rate schedule.
/// </summary>
public static class LinearProbe
{
    /// <summary>λ, the L2 penalty on the weights (not the biases), per example.</summary>
    public const double L2 = 1e-4;

    /// <summary>
    /// L-BFGS iterations. With λ this small and fewer examples than features the data are nearly
    /// separable and the optimum lies far out; the cap then acts as early stopping, as in any solver.
    /// </summary>
    public const int Iterations = 150;

    /// <summary>Fraction of <paramref name="testFeatures"/> [M, D] classified correctly after fitting on <paramref name="trainFeatures"/> [N, D].</summary>
    public static double Accuracy(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels, int classes)
    {
        using var scope = NewDisposeScope();
        var (train, test) = Standardise(trainFeatures, testFeatures);
        var labels = tensor(trainLabels.Select(label => (long)label).ToArray());
        long features = train.shape[1];
        // θ = [vec(W); b], W [D, K], b [K]: one vector for the optimiser.
        var theta = Minimise(zeros(features * classes + classes), parameters =>
        {
            var weights = parameters.narrow(0, 0, features * classes).view(features, classes);
            var biases = parameters.narrow(0, features * classes, classes);
            return nn.functional.cross_entropy(train.matmul(weights) + biases, labels) + 0.5 * L2 * weights.square().sum();
        });
        using var noGrad = no_grad();
        var logits = test.matmul(theta.narrow(0, 0, features * classes).view(features, classes)) + theta.narrow(0, features * classes, classes);
        return Score(logits.argmax(1).data<long>().ToArray(), testLabels);
    }

    /// <summary>
    /// L-BFGS (Nocedal &amp; Wright 2006, Algorithm 7.4, memory 10) with a backtracking Armijo line
    /// search, on a smooth objective of one vector. Written out so that it is deterministic and quiet
    /// (libtorch's LBFGS has no line search and logs deprecation warnings).
    /// </summary>
    static Tensor Minimise(Tensor start, Func<Tensor, Tensor> objective, int memory = 10)
    {
        (double Value, Tensor Gradient) Evaluate(Tensor point)
        {
            using var scope = NewDisposeScope();
            var variable = point.detach().requires_grad_(true);
            var value = objective(variable);
            var gradient = autograd.grad([value], [variable])[0];
            return (value.item<float>(), gradient.detach().MoveToOuterDisposeScope());
        }

        var x = start;
        var (f, g) = Evaluate(x);
        var history = new List<(Tensor S, Tensor Y, double Rho)>();
        for (int iteration = 0; iteration < Iterations && g.abs().max().item<float>() > 1e-6; iteration++)
        {
            // Two-loop recursion: direction = −H·g with H the inverse-Hessian estimate from (s, y) pairs.
            var direction = g.neg();
            var alphas = new double[history.Count];
            for (int i = history.Count - 1; i >= 0; i--)
            {
                alphas[i] = history[i].Rho * history[i].S.dot(direction).item<float>();
                direction = direction - alphas[i] * history[i].Y;
            }
            if (history.Count > 0)
            {
                var (s, y, _) = history[^1];
                direction = direction * (s.dot(y).item<float>() / y.dot(y).item<float>());
            }
            for (int i = 0; i < history.Count; i++)
            {
                double beta = history[i].Rho * history[i].Y.dot(direction).item<float>();
                direction = direction + (alphas[i] - beta) * history[i].S;
            }
            double slope = g.dot(direction).item<float>();
            if (slope >= 0)
            {
                history.Clear();
                direction = g.neg();
                slope = -g.dot(g).item<float>();
            }

            // Backtracking until the Armijo condition f(x + t·d) ≤ f(x) + 1e-4·t·gᵀd holds.
            double step = history.Count == 0 ? Math.Min(1, 1 / g.abs().sum().item<float>()) : 1;
            Tensor next;
            double nextValue;
            Tensor nextGradient;
            int tries = 0;
            while (true)
            {
                next = x + step * direction;
                (nextValue, nextGradient) = Evaluate(next);
                if (nextValue <= f + 1e-4 * step * slope || ++tries >= 30) break;
                step *= 0.5;
            }
            var sNew = next - x;
            var yNew = nextGradient - g;
            double curvature = sNew.dot(yNew).item<float>();
            if (curvature > 1e-10)
            {
                history.Add((sNew, yNew, 1 / curvature));
                if (history.Count > memory) history.RemoveAt(0);
            }
            bool stalled = Math.Abs(f - nextValue) <= 1e-9 * Math.Max(1, Math.Abs(f));
            (x, f, g) = (next, nextValue, nextGradient);
            if (stalled) break;
        }
        return x;
    }

    /// <summary>Both sets centred and scaled by the training statistics; constant features stay at zero.</summary>
    internal static (Tensor Train, Tensor Test) Standardise(Tensor train, Tensor test)
    {
        var mean = train.mean([0]);
        var spread = train.std(0, unbiased: false);
        spread = where(spread.lt(1e-6), ones_like(spread), spread);
        return ((train - mean) / spread, (test - mean) / spread);
    }

    internal static double Score(long[] predicted, int[] labels) =>
        (double)predicted.Zip(labels).Count(pair => pair.First == pair.Second) / labels.Length;
}

/// <summary>
/// The k-nearest-neighbour classifier on frozen representations: each test example takes the class
/// with the largest summed cosine similarity among its <see cref="K"/> most similar training
/// examples (a similarity-weighted vote, as in the k-NN monitor of Wu et al. 2018 without the
/// temperature). Cosine similarity ignores the scale of a representation, so families compare fairly.
/// </summary>
internal static class Knn
{
    public const int K = 10;

    public static double Accuracy(Tensor trainFeatures, int[] trainLabels, Tensor testFeatures, int[] testLabels, int classes, int batchSize = 500)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var train = nn.functional.normalize(trainFeatures.to(ScalarType.Float32), p: 2, dim: 1);
        var labels = tensor(trainLabels.Select(label => (long)label).ToArray());
        int k = Math.Min(K, (int)train.shape[0]);
        var predicted = new List<long>();
        for (long start = 0; start < testFeatures.shape[0]; start += batchSize)
        {
            using var batchScope = NewDisposeScope();
            var query = nn.functional.normalize(testFeatures.narrow(0, start, Math.Min(batchSize, testFeatures.shape[0] - start)).to(ScalarType.Float32), p: 2, dim: 1);
            var (similarity, index) = query.matmul(train.t()).topk(k, dim: 1);                   // [b, k]
            var votes = zeros(query.shape[0], classes).scatter_add_(1, labels[index], similarity); // [b, classes]
            predicted.AddRange(votes.argmax(1).data<long>().ToArray());
        }
        return LinearProbe.Score(predicted.ToArray(), testLabels);
    }
}

/// <summary>Linear probe and k-NN accuracy of a model's <c>Encode</c> (or of the raw features), trained on one split and scored on another.</summary>
public static class Probes
{
    /// <summary>The figure <c>linear_probe_accuracy</c>: test accuracy of a linear classifier (L2 logistic regression) trained on frozen representations of the training split.</summary>
    public static readonly MetricKey LinearProbeAccuracy = new("linear_probe_accuracy", "test accuracy of a linear classifier (L2 logistic regression) trained on frozen representations of the training split");
    /// <summary>The figure <c>knn_accuracy</c>: test accuracy of k-nearest-neighbour classification (k = <see cref="Knn.K"/>, cosine similarity) in representation space.</summary>
    public static readonly MetricKey KnnAccuracy = new("knn_accuracy", $"test accuracy of {Knn.K}-nearest-neighbour classification (cosine similarity) in representation space");
    /// <summary>The figure <c>raw_linear_probe_accuracy</c>: linear_probe_accuracy on the raw features (pixels, table values): the baseline a representation should beat.</summary>
    public static readonly MetricKey RawLinearProbeAccuracy = new("raw_linear_probe_accuracy", "linear_probe_accuracy on the raw features (pixels, table values): the baseline a representation should beat");
    /// <summary>The figure <c>raw_knn_accuracy</c>: knn_accuracy on the raw features: the baseline a representation should beat.</summary>
    public static readonly MetricKey RawKnnAccuracy = new("raw_knn_accuracy", "knn_accuracy on the raw features: the baseline a representation should beat");

    /// <summary><c>linear_probe_accuracy</c> and <c>knn_accuracy</c> of the representations the model encodes.</summary>
    public static Dictionary<string, double> Evaluate(Models.Autoencoder model, Data.Dataset train, Data.Dataset test, int batchSize = 500)
    {
        var (trainLabels, testLabels, classes) = Labels(train, test);
        model.eval();
        using var trainFeatures = Batched.Encode(model, train, batchSize);
        using var testFeatures = Batched.Encode(model, test, batchSize);
        return Score(trainFeatures, trainLabels, testFeatures, testLabels, classes, LinearProbeAccuracy, KnnAccuracy);
    }

    /// <summary>The same figures on the raw examples (pixels, table values) flattened: the baseline a representation should beat.</summary>
    public static Dictionary<string, double> EvaluateRaw(Data.Dataset train, Data.Dataset test)
    {
        var (trainLabels, testLabels, classes) = Labels(train, test);
        using var trainFeatures = train.Features.flatten(1).to(ScalarType.Float32);
        using var testFeatures = test.Features.flatten(1).to(ScalarType.Float32);
        return Score(trainFeatures, trainLabels, testFeatures, testLabels, classes, RawLinearProbeAccuracy, RawKnnAccuracy);
    }

    static Dictionary<string, double> Score(Tensor train, int[] trainLabels, Tensor test, int[] testLabels, int classes, MetricKey probe, MetricKey knn) => new()
    {
        [probe.Name] = LinearProbe.Accuracy(train, trainLabels, test, testLabels, classes),
        [knn.Name] = Knn.Accuracy(train, trainLabels, test, testLabels, classes),
    };

    static (int[] Train, int[] Test, int Classes) Labels(Data.Dataset train, Data.Dataset test)
    {
        if (train.Labels is null || test.Labels is null)
            throw new UserInputException($"the data have no labels, so there is nothing for a probe to predict; drop {nameof(EvaluationOptions.Probe)}, or pass {nameof(Data.DataOptions.Data)} with labels (a folder per class, {nameof(Data.DataOptions.LabelColumn)} for CSV)",
                nameof(EvaluationOptions.Probe), nameof(Data.DataOptions.Data), nameof(Data.DataOptions.LabelColumn));
        return (train.Labels, test.Labels, Math.Max(train.ClassCount, test.ClassCount));
    }
}
