using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>
/// The Kullback–Leibler divergence between multivariate Gaussians in closed form. The general
/// theorem (lecture notes §2.1; e.g. Duchi, "Derivations for linear algebra and optimization"):
/// <code>
///   KL(N(μp, Σp) ‖ N(μq, Σq)) = ½ [ tr(Σq⁻¹Σp) + (μp − μq)ᵀ Σq⁻¹ (μp − μq) − log det(Σp Σq⁻¹) − n ]
/// </code>
/// and its two special cases against the VAE prior N(0, I), where Σq = I:
/// <code>
///   KL = ½ [ tr Σp + μpᵀμp − log det Σp − n ],
/// </code>
/// split into one term per latent dimension, which is what the collapse diagnostics and free bits
/// need. For a diagonal Σ = diag(σ²) the split is the exact factorisation of the product density;
/// for a full Σ = L·Lᵀ (L lower triangular, positive diagonal) it is the chain rule
/// KL = Σⱼ E[KL(q(zⱼ | z&lt;ⱼ) ‖ N(0, 1))], whose j-th term is ½[Σₖ Lⱼₖ² + μⱼ² − log Lⱼⱼ² − 1] ≥ 0.
/// </summary>
public static class GaussianKl
{
    /// <summary>
    /// The general theorem, batched: μp, μq [B, n]; Σp, Σq [B, n, n] symmetric positive definite.
    /// Returns [B] in nats. Computed through Cholesky factors (Σ = L·Lᵀ) so that nothing is inverted:
    /// tr(Σq⁻¹Σp) = ‖Lq⁻¹Lp‖²_F, the quadratic form is ‖Lq⁻¹(μp − μq)‖², and
    /// log det(Σp Σq⁻¹) = log det Σp − log det Σq = 2 Σ log diag Lp − 2 Σ log diag Lq.
    /// </summary>
    public static Tensor General(Tensor meanP, Tensor covarianceP, Tensor meanQ, Tensor covarianceQ)
    {
        using var scope = NewDisposeScope();
        long n = meanP.shape[^1];
        var choleskyP = linalg.cholesky(covarianceP);
        var choleskyQ = linalg.cholesky(covarianceQ);
        var whitenedP = linalg.solve_triangular(choleskyQ, choleskyP, upper: false);                       // Lq⁻¹Lp [B, n, n]
        var trace = whitenedP.square().sum([-2, -1]);
        var difference = (meanP - meanQ).unsqueeze(-1);                                                    // [B, n] -> [B, n, 1]
        var quadratic = linalg.solve_triangular(choleskyQ, difference, upper: false).square().sum([-2, -1]);
        var logDeterminantP = 2 * choleskyP.diagonal(0, -2, -1).log().sum(-1);
        var logDeterminantQ = 2 * choleskyQ.diagonal(0, -2, -1).log().sum(-1);
        return (0.5 * (trace + quadratic - (logDeterminantP - logDeterminantQ) - n)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// KL(N(μ, diag(exp(logVariance))) ‖ N(0, I)) per dimension: [B, n] → [B, n], each
    /// ½[σ² + μ² − log σ² − 1] (Kingma &amp; Welling 2014, appendix B). Sum over the last axis for the total.
    /// </summary>
    public static Tensor DiagonalToStandard(Tensor mean, Tensor logVariance) =>
        0.5 * (logVariance.exp() + mean.square() - logVariance - 1);

    /// <summary>
    /// KL(N(μ, L·Lᵀ) ‖ N(0, I)) per dimension by the chain rule: μ [B, n], L [B, n, n] lower triangular
    /// with a positive diagonal → [B, n], row j giving ½[Σₖ Lⱼₖ² + μⱼ² − log Lⱼⱼ² − 1]. The rows sum to
    /// ½[tr Σ + μᵀμ − log det Σ − n], since tr(L·Lᵀ) = ‖L‖²_F and log det Σ = Σⱼ log Lⱼⱼ².
    /// Pass <paramref name="logDiagonalSquares"/> (log Lⱼⱼ²) when it is at hand, as the encoder's output:
    /// recomputing it from L underflows to −∞ in float32 once Lⱼⱼ² is below about 1e-45.
    /// </summary>
    public static Tensor CholeskyToStandard(Tensor mean, Tensor cholesky, Tensor? logDiagonalSquares = null)
    {
        using var scope = NewDisposeScope();
        var rowSquares = cholesky.square().sum(-1);                                  // Σₖ Lⱼₖ² [B, n]
        logDiagonalSquares ??= cholesky.diagonal(0, -2, -1).square().log();          // log Lⱼⱼ² [B, n]
        return (0.5 * (rowSquares + mean.square() - logDiagonalSquares - 1)).MoveToOuterDisposeScope();
    }
}
