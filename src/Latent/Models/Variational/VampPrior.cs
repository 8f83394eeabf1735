// The VampPrior (Tomczak & Welling 2018, "VAE with a VampPrior", eq. 9): the prior is the mixture of the
// variational posteriors of K learned pseudo-inputs u₁ … u_K,
//   p(z) = (1/K) Σₖ q(z | uₖ),
// trained with the rest of the model. Its KL to q(z|x) has no closed form and is estimated at the
// posterior draw, E_q[log q(z|x) − log p(z)]; split over the dimensions by the chain rule
//   log p(z) = Σⱼ log p(zⱼ | z<ⱼ),   p(zⱼ | z<ⱼ) = Σₖ wₖ(z<ⱼ) q(zⱼ | uₖ),   wₖ(z<ⱼ) ∝ Πᵢ<ⱼ q(zᵢ | uₖ),
// which is exact for a mixture of diagonal Gaussians, so the per-dimension terms sum to the total.

using Latent.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>
/// The K learned pseudo-inputs of a VampPrior and the mixture they define. The pseudo-inputs are examples of
/// the data's shape (through a sigmoid for data in [0, 1], so they stay images); their posteriors come from
/// the VAE's own encoder, which is why every method takes the components <see cref="Components"/> returns.
/// </summary>
public sealed class VampPrior : nn.Module
{
    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    private readonly Parameter pseudo_inputs;
    readonly bool _unitRange;

    /// <summary>K pseudo-inputs of <paramref name="shape"/>, drawn at random (torch's generator) before training.</summary>
    public VampPrior(int count, DataShape shape) : base("vamp_prior")
    {
        _unitRange = shape.IsUnitRange;
        pseudo_inputs = nn.Parameter(randn([count, .. shape.Dimensions]));
        RegisterComponents();
    }

    /// <summary>K.</summary>
    public int Count => (int)pseudo_inputs.shape[0];

    /// <summary>The pseudo-inputs uₖ in data units [K, ...shape].</summary>
    public Tensor PseudoInputs() => _unitRange ? pseudo_inputs.sigmoid() : pseudo_inputs.alias();

    /// <summary>The mixture's components q(z | uₖ), through the encoder <paramref name="infer"/>: means and log-variances [K, D].</summary>
    public GaussianPosterior Components(Func<Tensor, GaussianPosterior> infer) => infer(PseudoInputs());

    /// <summary>log p(z) = logsumexp_k log q(z | uₖ) − log K: z [..., D] → [...] nats.</summary>
    public Tensor LogDensity(GaussianPosterior components, Tensor z)
    {
        using var scope = NewDisposeScope();
        long dimension = z.shape[^1];
        var leading = z.shape[..^1];
        // In float64: the expansion below subtracts terms of the size of z²/σ², which float32 would round.
        var rows = z.reshape(-1, dimension).to(ScalarType.Float64);                             // [..., D] -> [R, D]
        var mean = components.Mean.to(ScalarType.Float64);
        var logVariance = components.LogVariance.to(ScalarType.Float64);
        var precision = (-logVariance).exp();                                                    // 1/σ²ₖⱼ [K, D]
        // Σⱼ (zⱼ − μₖⱼ)²/σ²ₖⱼ = z²·(1/σ²)ᵀ − 2 z·(μ/σ²)ᵀ + Σⱼ μ²/σ², as matrix products: [R, K] without an [R, K, D] tensor
        var quadratic = rows.square().matmul(precision.t()) - 2 * rows.matmul((mean * precision).t()) + (mean.square() * precision).sum(1);
        var logComponents = -0.5 * (dimension * LogTwoPi + logVariance.sum(1) + quadratic);                // [R, K]
        return (logComponents.logsumexp(1) - Math.Log(Count)).reshape(leading).to(z.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>log p(zⱼ | z&lt;ⱼ), the chain rule's terms: z [B, D] → [B, D], rows summing to log p(z).</summary>
    public Tensor LogDensityPerDimension(GaussianPosterior components, Tensor z)
    {
        using var scope = NewDisposeScope();
        // log q(zⱼ | uₖ) for every example and component: [B, 1, D] against [1, K, D] -> [B, K, D]
        var difference = z.unsqueeze(1) - components.Mean.unsqueeze(0);
        var logVariance = components.LogVariance.unsqueeze(0);
        var logFactors = -0.5 * (LogTwoPi + logVariance + difference.square() * (-logVariance).exp());
        // log of the unnormalised weights Πᵢ≤ⱼ q(zᵢ | uₖ) after each dimension, and before it (0 before the first)
        var through = logFactors.cumsum(2);                                                     // [B, K, D]
        var before = through - logFactors;
        // log p(z≤ⱼ) − log p(z<ⱼ); the 1/K of the mixture cancels
        return (through.logsumexp(1) - before.logsumexp(1)).MoveToOuterDisposeScope();          // [B, D]
    }

    /// <summary>z ~ p(z): a component chosen uniformly per draw, then z = μₖ + σₖ·ε; [count, D].</summary>
    public Tensor Sample(GaussianPosterior components, int count)
    {
        using var scope = NewDisposeScope();
        var chosen = randint(Count, [count], device: components.Mean.device);
        var mean = components.Mean.index_select(0, chosen);
        var logVariance = components.LogVariance.index_select(0, chosen);
        return (mean + (0.5 * logVariance).exp() * randn_like(mean)).MoveToOuterDisposeScope();
    }
}
