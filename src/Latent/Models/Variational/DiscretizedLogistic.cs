// The discretised logistic likelihood of 8-bit data (Kingma et al. 2016, "Improved variational inference
// with inverse autoregressive flow", §5.2; Salimans et al. 2017, "PixelCNN++", §2.1, eq. 2, without the
// mixture). A pixel x ∈ {0, 1/255, …, 1} is the level k/255 of an 8-bit value; its probability is the mass
// of the logistic of mean μ and scale s on the level's bin of width 1/255:
//   P(x) = σ((x + 1/510 − μ)/s) − σ((x − 1/510 − μ)/s),
// with the edge bins taking the tails: P(0) = σ((1/510 − μ)/s), P(1) = 1 − σ((1 − 1/510 − μ)/s). The 256
// probabilities sum to 1 for any μ and s, so −Σ log P(xᵢ) is a negative log-likelihood of the 8-bit data,
// comparable across models in bits per dimension.
//
// In log space, with a = (x + 1/510 − μ)/s and b = (x − 1/510 − μ)/s, a − b = 1/(255 s) > 0:
//   σ(a) − σ(b) = σ(a)·(1 − σ(b))·(1 − e^(b − a)),
// so log P = −softplus(−a) − softplus(b) + log(−expm1(−(a − b))): no difference of nearly equal numbers,
// and no branch but the edges' (log σ(a) = −softplus(−a), log(1 − σ(b)) = −softplus(b)). PixelCNN++ instead
// switches to the density at the bin centre where the difference underflows; the factorisation makes
// that unnecessary.

using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>log-probabilities of 8-bit pixels under a discretised logistic.</summary>
public static class DiscretizedLogistic
{
    /// <summary>The number of levels of 8-bit data.</summary>
    public const int Levels = 256;

    /// <summary>
    /// The floor under log s (as PixelCNN++'s log-scales, max(log s, −7)): s ≥ e⁻⁷ ≈ 1/1100 of the
    /// range, a quarter of a bin, so that the probability of a level never becomes a step function.
    /// </summary>
    public const double MinimumLogScale = -7;

    /// <summary>Half the width of a level's bin, 1/510.</summary>
    const double HalfBin = 0.5 / (Levels - 1);

    /// <summary>
    /// x rounded to the nearest level k/255: the data the likelihood is of (8-bit pixels are already on the levels;
    /// resampled images are rounded to them).
    /// </summary>
    public static Tensor Quantize(Tensor x) => (x.clamp(0, 1) * (Levels - 1)).round() / (Levels - 1);

    /// <summary>
    /// log P(x) per element, nats: x [N, ...] in [0, 1] (rounded to the levels), mean μ [N, ...] (any real; below 0 or
    /// above 1 puts mass on the edge levels), log s broadcastable to them (floored at <see cref="MinimumLogScale"/>).
    /// </summary>
    public static Tensor LogProbability(Tensor x, Tensor mean, Tensor logScale)
    {
        using var scope = NewDisposeScope();
        var level = Quantize(x);
        var clampedLogScale = logScale.clamp_min(MinimumLogScale);
        var inverseScale = (-clampedLogScale).exp();
        var centred = level - mean;
        var upper = (centred + HalfBin) * inverseScale;                  // a
        var lower = (centred - HalfBin) * inverseScale;                  // b
        var logUpperCdf = -nn.functional.softplus(-upper);               // log σ(a): the left tail, level 0
        var logOneMinusLowerCdf = -nn.functional.softplus(lower);        // log(1 − σ(b)): the right tail, level 255
        // log(1 − e^(b − a)), a − b = 2·HalfBin/s, the same for every element of a channel.
        var logWidthFactor = (-(-(2 * HalfBin) * inverseScale).expm1()).log();
        var interior = logUpperCdf + logOneMinusLowerCdf + logWidthFactor;
        var logProbability = where(level < HalfBin, logUpperCdf, where(level > 1 - HalfBin, logOneMinusLowerCdf, interior));
        return logProbability.MoveToOuterDisposeScope();
    }
}
