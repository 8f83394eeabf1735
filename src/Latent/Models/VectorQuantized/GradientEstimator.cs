// How the decoder's gradient crosses the (non-differentiable) nearest-code step of a learned codebook.
//   Straight-through (Bengio, Léonard & Courville 2013; van den Oord et al. 2017, §3.2): z_e + sg(z_q − z_e), the
//     value of z_q with the gradient of z_e, as if quantisation were the identity.
//   The rotation trick (Fifty, Junkins, Duan, Iyengar, Liu, Amid, Thrun & Ré 2024, "Restructuring Vector Quantization
//     with the Rotation Trick", §4): z̃_q = sg(λR)·z_e with λ = ‖z_q‖/‖z_e‖ and R the rotation that takes ê = z_e/‖z_e‖
//     to q̂ = z_q/‖z_q‖, written without forming R as R = I − 2rrᵀ + 2q̂êᵀ, r = (ê + q̂)/‖ê + q̂‖. Its value is z_q as
//     well, but the gradient reaching z_e is rotated and scaled like z_e's way to its code, so encoder outputs that
//     share a code receive different updates by where they lie inside its cell.

using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>How the gradient passes a learned codebook (<c>--gradient</c>).</summary>
public enum GradientEstimator
{
    /// <summary>Straight-through: the gradient of z_q is copied to z_e unchanged.</summary>
    Ste,

    /// <summary>The rotation trick of Fifty et al. 2024: the gradient is rotated and scaled as z_e is to reach z_q.</summary>
    Rotation,
}

/// <summary>The decoder's input for vectors z_e and their quantised z_q, by either estimator.</summary>
public static class GradientPass
{
    /// <summary>Norms below this count as zero (a zero vector has no direction to rotate from).</summary>
    public const double Epsilon = 1e-12;

    /// <summary>
    /// z_e, z_q [..., D] → a tensor with the value of z_q whose gradient reaches z_e by <paramref name="estimator"/>;
    /// z_q never receives a gradient this way (the codes learn by their own loss or EMA).
    /// </summary>
    public static Tensor Apply(GradientEstimator estimator, Tensor ze, Tensor zq) => estimator switch
    {
        GradientEstimator.Ste => ze + (zq - ze).detach(),
        GradientEstimator.Rotation => Rotated(ze, zq),
        _ => throw new ArgumentOutOfRangeException(nameof(estimator)),
    };

    /// <summary>sg(λR)·z_e, corrected by sg(z_q − λR z_e) so that its value is z_q to rounding even where R is degenerate (z_e = −c·z_q).</summary>
    static Tensor Rotated(Tensor ze, Tensor zq)
    {
        using var scope = NewDisposeScope();
        Tensor eHat, qHat, r, lambda;
        using (no_grad())
        {
            var e = ze.detach();
            var q = zq.detach();
            var eNorm = e.norm(-1, keepdim: true).clamp_min(Epsilon); // [..., 1]
            var qNorm = q.norm(-1, keepdim: true);
            eHat = e / eNorm;
            qHat = q / qNorm.clamp_min(Epsilon);
            var sum = eHat + qHat;
            r = sum / sum.norm(-1, keepdim: true).clamp_min(Epsilon);
            lambda = qNorm / eNorm;
        }
        // R z_e = z_e − 2r(rᵀz_e) + 2q̂(êᵀz_e): only z_e carries a gradient, so the backward pass applies sg(λR)ᵀ.
        var rotated = lambda * (ze - 2 * r * (r * ze).sum(-1, keepdim: true) + 2 * qHat * (eHat * ze).sum(-1, keepdim: true));
        return (rotated + (zq.detach() - rotated).detach()).MoveToOuterDisposeScope();
    }
}
