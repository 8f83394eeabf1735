using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models.Sampling;

/// <summary>
/// A Gaussian mixture with full covariances, p(z) = Σₖ πₖ N(z; μₖ, Σₖ), fitted by expectation–
/// maximisation (Dempster, Laird &amp; Rubin 1977; Bishop, PRML §9.2.2) in float64 on the CPU.
/// Initialised like scikit-learn's GaussianMixture: k-means++ seeding and Lloyd iterations, then
/// EM until the mean log-likelihood gains less than 1e-3 nats (at most 100 iterations, scikit-learn's
/// defaults); a small ridge (1e-6) on every
/// covariance keeps it positive definite. Used as an ex-post density over the latent codes of an
/// autoencoder so that any autoencoder can be sampled (Ghosh et al. 2020; pythae's GMM sampler).
/// </summary>
public sealed class GaussianMixture : IDisposable
{
    /// <summary>Added to the diagonal of every covariance (scikit-learn's reg_covar).</summary>
    public const double Ridge = 1e-6;

    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    GaussianMixture(Tensor weights, Tensor means, Tensor covariances)
    {
        Weights = weights;
        Means = means;
        Covariances = covariances;
        Cholesky = linalg.cholesky(covariances);
    }

    /// <summary>Mixing weights π [K], summing to one.</summary>
    public Tensor Weights { get; }
    /// <summary>Component means μ [K, D].</summary>
    public Tensor Means { get; }
    /// <summary>Component covariances Σ [K, D, D].</summary>
    public Tensor Covariances { get; }
    /// <summary>Lower Cholesky factors of <see cref="Covariances"/> [K, D, D].</summary>
    public Tensor Cholesky { get; }

    /// <summary>K, the number of components.</summary>
    public int Components => (int)Means.shape[0];
    /// <summary>D, the dimension of the codes it models.</summary>
    public int Dimension => (int)Means.shape[1];

    /// <summary>Mean log-likelihood per code at the end of the fit, nats (NaN for a loaded mixture).</summary>
    public double FittedLogLikelihood { get; private init; } = double.NaN;
    /// <summary>EM iterations the fit took.</summary>
    public int Iterations { get; private init; }

    /// <summary>Builds a mixture from its parameters (float64 copies are kept).</summary>
    public static GaussianMixture FromParameters(Tensor weights, Tensor means, Tensor covariances) =>
        new(weights.to(ScalarType.Float64).cpu().clone(), means.to(ScalarType.Float64).cpu().clone(), covariances.to(ScalarType.Float64).cpu().clone());

    /// <summary>
    /// Fits K components to codes [N, D]. Deterministic for a given <paramref name="seed"/>.
    /// K = 1 is the single full-covariance Gaussian (its maximum-likelihood fit, in one step).
    /// </summary>
    public static GaussianMixture Fit(Tensor codes, int components, long seed, int maxIterations = 100, double tolerance = 1e-3)
    {
        if (components <= 0) throw new UserInputException($"{nameof(SamplerOptions.Components)} {components} must be positive, e.g. 10", nameof(SamplerOptions.Components));
        if (codes.shape[0] < components)
            throw new UserInputException($"a mixture of {components} components needs at least as many codes, not {codes.shape[0]}; pass fewer {nameof(SamplerOptions.Components)}",
                nameof(SamplerOptions.Components));
        using var scope = NewDisposeScope();
        var x = codes.detach().to(ScalarType.Float64).cpu();
        var responsibilities = nn.functional.one_hot(KMeans(x, components, seed), components).to(ScalarType.Float64);   // [N, K]
        var (weights, means, covariances) = MaximisationStep(x, responsibilities);

        double previous = double.NegativeInfinity, current = double.NegativeInfinity;
        int iteration = 0;
        while (iteration < maxIterations)
        {
            iteration++;
            using var iterationScope = NewDisposeScope();
            // E step: responsibilities rₙₖ = πₖ N(xₙ; μₖ, Σₖ) / Σⱼ πⱼ N(xₙ; μⱼ, Σⱼ)
            var logJoint = LogJoint(x, weights, means, linalg.cholesky(covariances));                    // [N, K]
            var logLikelihood = logJoint.logsumexp(1, keepdim: true);                                    // [N, 1]
            current = logLikelihood.mean().item<double>();
            var (nextWeights, nextMeans, nextCovariances) = MaximisationStep(x, (logJoint - logLikelihood).exp());
            // The previous parameters are done with: free them now rather than when the fit ends.
            weights.Dispose();
            means.Dispose();
            covariances.Dispose();
            (weights, means, covariances) = (nextWeights.MoveToOuterDisposeScope(), nextMeans.MoveToOuterDisposeScope(), nextCovariances.MoveToOuterDisposeScope());
            if (current - previous < tolerance) break;
            previous = current;
        }
        var mixture = new GaussianMixture(weights.MoveToOuterDisposeScope(), means.MoveToOuterDisposeScope(), covariances.MoveToOuterDisposeScope())
        {
            FittedLogLikelihood = current, Iterations = iteration,
        };
        mixture.Cholesky.MoveToOuterDisposeScope();
        return mixture;
    }

    /// <summary>log p(z) for codes [N, D] → [N], nats.</summary>
    public Tensor LogLikelihood(Tensor codes)
    {
        using var scope = NewDisposeScope();
        return LogJoint(codes.to(ScalarType.Float64).cpu(), Weights, Means, Cholesky).logsumexp(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="count"/> draws [count, D] (float32), from torch's global generator: a component
    /// k ~ Categorical(π), then μₖ + Lₖ·ε with ε ~ N(0, I).
    /// </summary>
    public Tensor Sample(int count)
    {
        using var scope = NewDisposeScope();
        var component = Weights.multinomial(count, replacement: true);                                    // [count]
        var noise = randn(count, Dimension, 1, dtype: ScalarType.Float64);                               // [count, D, 1]
        var draws = Means.index_select(0, component) + Cholesky.index_select(0, component).matmul(noise).squeeze(-1);
        return draws.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>log πₖ + log N(x; μₖ, LₖLₖᵀ) [N, K], computed one component at a time so memory stays [N, D].</summary>
    static Tensor LogJoint(Tensor x, Tensor weights, Tensor means, Tensor cholesky)
    {
        long dimension = x.shape[1];
        var columns = new Tensor[means.shape[0]];
        for (int k = 0; k < columns.Length; k++)
        {
            using var scope = NewDisposeScope();
            var difference = (x - means[k]).t();                                                        // [D, N]
            var whitened = linalg.solve_triangular(cholesky[k], difference, upper: false);               // Lₖ⁻¹(x − μₖ) [D, N]
            var logDeterminant = 2 * cholesky[k].diagonal().log().sum();
            columns[k] = (weights[k].log() - 0.5 * (dimension * LogTwoPi + logDeterminant + whitened.square().sum(0L))).MoveToOuterDisposeScope();
        }
        return stack(columns, 1);
    }

    /// <summary>The M step: π, μ and Σ that maximise the expected log-likelihood under the responsibilities [N, K].</summary>
    static (Tensor Weights, Tensor Means, Tensor Covariances) MaximisationStep(Tensor x, Tensor responsibilities)
    {
        long count = x.shape[0], dimension = x.shape[1];
        var mass = responsibilities.sum(0L) + 10 * 2.220446049250313e-16;                                 // Nₖ + 10 machine ε (scikit-learn), never 0
        var means = responsibilities.t().matmul(x) / mass.unsqueeze(1);                                  // [K, D]
        var covariances = new Tensor[means.shape[0]];
        using var ridge = eye(dimension, dtype: ScalarType.Float64) * Ridge;
        for (int k = 0; k < covariances.Length; k++)
        {
            using var scope = NewDisposeScope();
            var difference = x - means[k];                                                              // [N, D]
            covariances[k] = ((responsibilities[.., k].unsqueeze(1) * difference).t().matmul(difference) / mass[k] + ridge).MoveToOuterDisposeScope();
        }
        return (mass / count, means, stack(covariances, 0));
    }

    /// <summary>k-means++ seeding (Arthur &amp; Vassilvitskii 2007) and Lloyd iterations: a label per code [N].</summary>
    static Tensor KMeans(Tensor x, int components, long seed, int iterations = 20)
    {
        var random = new SplitMix64(seed);
        long count = x.shape[0];
        var centres = new List<Tensor> { x[(long)random.NextBelow((ulong)count)] };
        var nearest = (x - centres[0]).square().sum(1);                                                 // squared distance to the closest centre [N]
        while (centres.Count < components)
        {
            // The next centre is drawn with probability proportional to the squared distance.
            var cumulative = nearest.cumsum(0);
            double total = cumulative[-1].item<double>();
            long index = total > 0
                ? Math.Min(count - 1, searchsorted(cumulative, tensor(random.NextDouble() * total, dtype: ScalarType.Float64)).item<long>())
                : (long)random.NextBelow((ulong)count);
            centres.Add(x[index]);
            nearest = minimum(nearest, (x - x[index]).square().sum(1));
        }
        var means = stack(centres, 0);
        Tensor labels = cdist(x, means).argmin(1);
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            using var iterationScope = NewDisposeScope();
            var assignment = nn.functional.one_hot(labels, components).to(ScalarType.Float64);                          // [N, K]
            var sizes = assignment.sum(0L);
            // An empty cluster keeps its centre.
            var sums = assignment.t().matmul(x);
            means = where(sizes.unsqueeze(1) > 0, sums / sizes.clamp_min(1).unsqueeze(1), means);
            var next = cdist(x, means).argmin(1);
            bool settled = next.eq(labels).all().item<bool>();
            labels = next.MoveToOuterDisposeScope();
            means.MoveToOuterDisposeScope();
            if (settled) break;
        }
        return labels;
    }

    /// <summary>Frees the parameter tensors.</summary>
    public void Dispose()
    {
        Weights.Dispose();
        Means.Dispose();
        Covariances.Dispose();
        Cholesky.Dispose();
    }
}
