// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian with its
// mean and covariance: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge
// to a Local Nash Equilibrium", eq. 6 (Dowson & Landau 1982 for the Gaussian case):
//
//   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½).
//
// The trace of the square root is computed without a general (non-symmetric) matrix square root:
// with S = Σ₁^½ (from the eigendecomposition of the symmetric Σ₁), Σ₁Σ₂ = S⁻¹(SΣ₂S)S is similar to the
// symmetric positive semi-definite M = SΣ₂S, so tr (Σ₁Σ₂)^½ = tr M^½ = Σᵢ √λᵢ(M). Both
// eigendecompositions are of symmetric matrices in float64 (M is symmetrised, (M + Mᵀ)/2, against
// rounding), and eigenvalues below zero, which only rounding produces, count as zero. That avoids
// the failure scipy.linalg.sqrtm has on singular covariances (complex parts, the "fid" offset hack).
// Covariances are unbiased (divided by N − 1), as pytorch-fid's np.cov computes them.

using static TorchSharp.torch;

namespace Latent.Evaluation.SampleQuality;

/// <summary>The Fréchet distance between the Gaussians fitted to two sets of features (FID's formula).</summary>
public static class FrechetDistance
{
    /// <summary>d² between features <paramref name="first"/> [N, F] and <paramref name="second"/> [M, F].</summary>
    public static double Compute(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        var (mean1, covariance1) = Moments(first);
        var (mean2, covariance2) = Moments(second);
        return FromMoments(mean1, covariance1, mean2, covariance2);
    }

    /// <summary>Mean [F] and unbiased covariance [F, F] of features [N, F], in float64.</summary>
    public static (Tensor Mean, Tensor Covariance) Moments(Tensor features)
    {
        if (features.shape[0] < 2) throw new ArgumentException("a covariance needs at least two examples", nameof(features));
        var x = features.to(ScalarType.Float64);
        var mean = x.mean([0]);
        var centred = x - mean;
        return (mean, centred.t().matmul(centred) / (x.shape[0] - 1));
    }

    /// <summary>d² from the two means [F] and covariances [F, F].</summary>
    public static double FromMoments(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2)
    {
        using var scope = NewDisposeScope();
        var (m1, c1, m2, c2) = (mean1.to(ScalarType.Float64), covariance1.to(ScalarType.Float64), mean2.to(ScalarType.Float64), covariance2.to(ScalarType.Float64));
        double meanTerm = (m1 - m2).square().sum().item<double>();
        return meanTerm + c1.trace().item<double>() + c2.trace().item<double>() - 2 * TraceOfSquareRootOfProduct(c1, c2);
    }

    /// <summary>tr (AB)^½ for symmetric positive semi-definite A and B, as Σ √λ(A^½ B A^½).</summary>
    public static double TraceOfSquareRootOfProduct(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var root = SymmetricSquareRoot(a);
        var product = root.matmul(b).matmul(root);
        var symmetric = (product + product.t()) / 2;
        var eigenvalues = linalg.eigvalsh(symmetric).clamp_min(0);
        return eigenvalues.sqrt().sum().item<double>();
    }

    /// <summary>A^½ = V diag(√max(λ, 0)) Vᵀ for a symmetric A = V diag(λ) Vᵀ.</summary>
    public static Tensor SymmetricSquareRoot(Tensor a)
    {
        using var scope = NewDisposeScope();
        var symmetric = (a + a.t()) / 2;
        var (eigenvalues, eigenvectors) = linalg.eigh(symmetric);
        return eigenvectors.matmul(diag(eigenvalues.clamp_min(0).sqrt())).matmul(eigenvectors.t()).MoveToOuterDisposeScope();
    }
}
