// The importance-weighted bound as a training objective (Burda, Grosse & Salakhutdinov 2016, "Importance
// weighted autoencoders", eq. 8): with K draws zₖ ~ q(z|x),
//   L_K(x) = E[ log (1/K) Σₖ p(x|zₖ) p(zₖ) / q(zₖ|x) ] ≤ log p(x),
// L_1 is the ELBO and L_K grows with K (their Theorem 1). Reparameterised draws carry the gradient to
// the encoder; the gradient of the log-mean-exp weighs each draw by its normalised importance weight.

using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>One-batch estimate of the bound L_K and the mean reconstruction term of its draws.</summary>
/// <param name="LogBound">log (1/K) Σₖ wₖ per example [B], nats.</param>
/// <param name="Reconstruction">−log p(x|zₖ) averaged over the draws and the batch, a scalar (for the log).</param>
public sealed record ImportanceWeightedEstimate(Tensor LogBound, Tensor Reconstruction);

/// <summary>The IWAE bound with gradients, for any <see cref="IVariational"/> model (its prior, whatever it is, enters through LogPrior).</summary>
public static class ImportanceWeightedBound
{
    /// <summary>L_K at x [B, ...shape] with posterior q(z|x) = <paramref name="posterior"/> and K = <paramref name="samples"/> draws.</summary>
    public static ImportanceWeightedEstimate Estimate(IVariational model, Tensor x, GaussianPosterior posterior, int samples)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0];
        int dimension = model.LatentDimension;
        var noise = randn([samples, batch, dimension], dtype: posterior.Mean.dtype, device: posterior.Mean.device);  // ε [K, B, D]
        var z = model.Draw(posterior, noise);
        // [K, B, D] -> [K·B, D] -> decoded [K·B, ...shape] -> log p(x|z) [K·B] -> [K, B]
        var decoded = model.DecoderOutput(z.reshape(samples * batch, dimension));
        var targets = x.unsqueeze(0).expand([samples, .. x.shape]).reshape([samples * batch, .. x.shape.Skip(1)]);
        var logLikelihood = model.LogLikelihood(decoded, targets).reshape(samples, batch);
        var logWeights = logLikelihood + model.LogPrior(z) - model.LogPosterior(posterior, noise);                  // [K, B]
        var logBound = logWeights.logsumexp(0) - Math.Log(samples);
        return new ImportanceWeightedEstimate(logBound.MoveToOuterDisposeScope(), (-logLikelihood.mean()).MoveToOuterDisposeScope());
    }
}
