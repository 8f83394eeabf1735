using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>A Gaussian posterior q(z|x) = N(μ, Σ) for a batch.</summary>
/// <param name="Mean">μ [B, D].</param>
/// <param name="LogVariance">log Σⱼⱼ for a diagonal Σ, log Lⱼⱼ² for a Cholesky factor [B, D]; either way Σⱼ of it is log det Σ.</param>
/// <param name="Cholesky">L [B, D, D] with Σ = L·Lᵀ, or null for a diagonal Σ.</param>
public sealed record GaussianPosterior(Tensor Mean, Tensor LogVariance, Tensor? Cholesky);

/// <summary>
/// A latent-variable model with an amortised Gaussian posterior (a VAE): what the estimators of the
/// evidence (ELBO, importance-weighted bound), the unit diagnostics and the per-dimension KL need.
/// </summary>
public interface IVariational
{
    /// <summary>D, the dimension of z.</summary>
    int LatentDimension { get; }

    /// <summary>x [B, ...shape] → q(z|x).</summary>
    GaussianPosterior Infer(Tensor x);

    /// <summary>The reparameterisation z = μ + Σ^½·ε: noise ε [..., B, D] (leading sample axes broadcast) → z, same shape.</summary>
    Tensor Draw(GaussianPosterior posterior, Tensor noise);

    /// <summary>log q(z|x) of the draw z = Draw(posterior, ε), from its noise ε [..., B, D] → [..., B] nats.</summary>
    Tensor LogPosterior(GaussianPosterior posterior, Tensor noise);

    /// <summary>log p(z) under the model's prior: z [..., D] → [...] nats.</summary>
    Tensor LogPrior(Tensor z);

    /// <summary>KL(q(z|x) ‖ p(z)) split over the latent dimensions, [B, D]; the rows sum to the total.</summary>
    Tensor KlPerDimension(GaussianPosterior posterior);

    /// <summary>z [N, D] → the parameters of p(x|z) [N, ...shape] (logits for Bernoulli pixels, the mean for a Gaussian).</summary>
    Tensor DecoderOutput(Tensor z);

    /// <summary>log p(x|z) summed over the elements of each example, nats: decoder outputs [N, ...shape], targets x [N, ...shape] → [N].</summary>
    Tensor LogLikelihood(Tensor decoderOutput, Tensor x);
}
