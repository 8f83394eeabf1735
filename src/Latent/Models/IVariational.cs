using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>A Gaussian posterior q(z|x) = N(μ, Σ) for a batch.</summary>
/// <param name="Mean">μ [B, D].</param>
/// <param name="LogVariance">log Σⱼⱼ for a diagonal Σ, log Lⱼⱼ² for a Cholesky factor [B, D]; either way Σⱼ of it is log det Σ.</param>
/// <param name="Cholesky">L [B, D, D] with Σ = L·Lᵀ, or null for a diagonal Σ.</param>
public sealed record GaussianPosterior(Tensor Mean, Tensor LogVariance, Tensor? Cholesky);

/// <summary>
/// What a VAE's nats are: which quantity log p(x|z), and with it −ELBO and the IWAE estimate, is of. The numbers are
/// what <c>eval.json</c> records (it holds numbers only) under <c>likelihood_quantity</c>.
/// </summary>
public enum LikelihoodQuantity
{
    /// <summary>1: a Bernoulli cross-entropy against grey levels: not a normalised density of the data, so the nats are no negative log-likelihood.</summary>
    BernoulliOnGreyLevels = 1,
    /// <summary>2: a Bernoulli likelihood of binarised pixels (the test split binarised once, seeded): a negative log-likelihood of binary data.</summary>
    BinarizedNll = 2,
    /// <summary>3: a discretised likelihood of the 256 levels of 8-bit pixels: a negative log-likelihood of the 8-bit data.</summary>
    Discretized8BitNll = 3,
    /// <summary>4: a Gaussian density of continuous data in their own units (a density, so it may be negative and is not a code length).</summary>
    GaussianDensity = 4,
}

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

    /// <summary>z [N, D] → the parameters of p(x|z) [N, ...shape] (logits for Bernoulli pixels, the mean for a Gaussian or a discretised logistic).</summary>
    Tensor DecoderOutput(Tensor z);

    /// <summary>log p(x|z) summed over the elements of each example, nats: decoder outputs [N, ...shape], targets x [N, ...shape] → [N].</summary>
    Tensor LogLikelihood(Tensor decoderOutput, Tensor x);

    /// <summary>Which quantity <see cref="LogLikelihood"/> is of, on the data <see cref="Observed"/> gives.</summary>
    LikelihoodQuantity Quantity { get; }

    /// <summary>
    /// The data as the likelihood scores them in evaluation: <paramref name="data"/> itself, or, for a model trained on
    /// binarised pixels, one fixed (seeded) binary draw of it, the same for every evaluation.
    /// </summary>
    Dataset Observed(Dataset data);

    /// <summary>
    /// The changes of options that would bring collapsed units back, as a user passes them (e.g. <c>--free-bits 0.25</c>),
    /// only those that apply to this model's objective and prior.
    /// </summary>
    IReadOnlyList<string> CollapseCures { get; }
}
