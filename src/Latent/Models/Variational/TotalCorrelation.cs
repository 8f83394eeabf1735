// The β-TCVAE decomposition of the KL term (Chen, Li, Grosse & Duvenaud 2018, "Isolating sources of
// disentanglement in VAEs", eq. 2), averaged over the data distribution p(n) of the N training examples:
//   E_p(n)[KL(q(z|n) ‖ p(z))] = I_q(z; n)                      index-code mutual information
//                             + KL(q(z) ‖ Πⱼ q(zⱼ))            total correlation
//                             + Σⱼ KL(q(zⱼ) ‖ p(zⱼ))            dimension-wise KL,
// with the aggregate posterior q(z) = (1/N) Σₙ q(z|n). Its density at a draw zᵢ ~ q(z|xᵢ) of a minibatch
// {x₁ … x_M} is estimated by minibatch-weighted sampling (§4.1), as the mean of the batch's posteriors,
//   log q(zᵢ) ≈ logsumexp_m log q(zᵢ | x_m) − log M,
// and each marginal log q(zᵢⱼ) the same way from the one-dimensional densities q(zᵢⱼ | x_m).
// The paper (appendix C.1) and its reference code normalise by log(N·M) instead, which puts q(z) N times too
// low: its MI is ours + log N, its TC ours + (D−1)·log N, its dimension-wise KL ours − D·log N. Those are
// constants (they cancel in the sum and leave every gradient as it is), so N does not enter here; dropping
// them makes the terms readable: the TC of independent codes comes out near 0, not near (D−1)·log N.

using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>The three parts of the KL, each averaged over the minibatch, nats; they sum to the one-draw estimate of the KL.</summary>
/// <param name="MutualInformation">E[log q(z|x) − log q(z)].</param>
/// <param name="TotalCorrelation">E[log q(z) − Σⱼ log q(zⱼ)].</param>
/// <param name="DimensionWiseKl">E[Σⱼ log q(zⱼ) − log p(zⱼ)], for the prior N(0, I).</param>
public sealed record KlDecomposition(Tensor MutualInformation, Tensor TotalCorrelation, Tensor DimensionWiseKl);

/// <summary>The minibatch-weighted-sampling estimator of the β-TCVAE's split of the KL, for diagonal Gaussian posteriors and the prior N(0, I).</summary>
public static class TotalCorrelation
{
    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    /// <summary>
    /// The split at the draws <paramref name="z"/> [M, D] (zᵢ ~ q(z|xᵢ)) of a minibatch whose diagonal posteriors are
    /// <paramref name="posterior"/>.
    /// </summary>
    public static KlDecomposition Estimate(GaussianPosterior posterior, Tensor z)
    {
        if (posterior.Cholesky is not null) throw new ArgumentException("the minibatch-weighted estimator takes diagonal posteriors", nameof(posterior));
        using var scope = NewDisposeScope();
        long batch = z.shape[0];
        double logNormaliser = Math.Log(batch);                                                                  // log M
        // log q(zᵢⱼ | x_m) for every pair: [M, 1, D] against [1, M, D] -> [M (draw i), M (posterior m), D]
        var difference = z.unsqueeze(1) - posterior.Mean.unsqueeze(0);
        var logVariance = posterior.LogVariance.unsqueeze(0);
        var logDensityPairs = -0.5 * (LogTwoPi + logVariance + difference.square() * (-logVariance).exp());
        var logPosterior = logDensityPairs.diagonal(0, 0, 1).t().sum(1);                                         // log q(zᵢ | xᵢ): [D, M] -> [M, D] -> [M]
        var logAggregate = logDensityPairs.sum(2).logsumexp(1) - logNormaliser;                                  // log q(zᵢ) [M]
        var logMarginals = (logDensityPairs.logsumexp(1) - logNormaliser).sum(1);                                // Σⱼ log q(zᵢⱼ) [M]
        var logPrior = -0.5 * (LogTwoPi + z.square()).sum(1);                                                    // Σⱼ log N(zᵢⱼ; 0, 1) [M]
        return new KlDecomposition(
            (logPosterior - logAggregate).mean().MoveToOuterDisposeScope(),
            (logAggregate - logMarginals).mean().MoveToOuterDisposeScope(),
            (logMarginals - logPrior).mean().MoveToOuterDisposeScope());
    }
}
