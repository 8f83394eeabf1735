using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models.Denoising;

/// <summary>A corrupted batch and where it was corrupted.</summary>
/// <param name="Input">x̃, the same shape and type as x.</param>
/// <param name="Positions">bool, the same shape as x: true where x̃ was corrupted (everywhere for Gaussian noise).</param>
public sealed record Corrupted(Tensor Input, Tensor Positions);

/// <summary>
/// The corruption process q(x̃ | x) of a denoising autoencoder (Vincent et al. 2008, §2.3; 2010, §4):
/// masking noise (a fraction ν of elements replaced by a [MASK] value), additive Gaussian noise
/// x̃ = x + σε, and salt-and-pepper noise (a fraction ν set to the minimum or maximum with equal
/// probability; for tokens, the discrete analogue: a uniformly random token, as BERT's 10%).
/// Every draw uses torch's global generator, or the one passed to <see cref="Apply"/>.
/// </summary>
public sealed class Corruption(NoiseSpec noise, DataShape shape)
{
    /// <summary>The corruption this process applies: its kind and its level (a fraction, or σ).</summary>
    public NoiseSpec Noise { get; } = noise;

    /// <summary>
    /// Corrupts <paramref name="x"/> [B, ...shape]. <paramref name="maskFill"/> is what masked elements
    /// become: broadcastable to x for pixels and table features (a fixed value or a learned one), unused
    /// for tokens, which take the id <see cref="Vocabulary.Mask"/>.
    /// </summary>
    public Corrupted Apply(Tensor x, Tensor? maskFill, Generator? generator = null)
    {
        if (Noise.Kind == NoiseKind.Gaussian)
            return new Corrupted(x + Noise.Level * randn(x.shape, device: x.device, generator: generator), ones(x.shape, ScalarType.Bool, x.device));
        var positions = Draw(x, Noise.Level, generator);
        return new Corrupted(Noise.Kind == NoiseKind.Mask ? Mask(x, positions, maskFill) : SaltPepper(x, positions, generator), positions);
    }

    /// <summary>x with <paramref name="positions"/> replaced by [MASK]: the mask id for tokens, <paramref name="maskFill"/> otherwise.</summary>
    public Tensor Mask(Tensor x, Tensor positions, Tensor? maskFill) => shape.Kind == DataKind.Tokens
        ? x.masked_fill(positions, Vocabulary.Mask)
        : where(positions, maskFill ?? throw new ArgumentNullException(nameof(maskFill)), x);

    /// <summary>Each element independently with probability <paramref name="fraction"/>: bool [B, ...shape].</summary>
    static Tensor Draw(Tensor x, double fraction, Generator? generator) =>
        rand(x.shape, device: x.device, generator: generator).lt(fraction);

    Tensor SaltPepper(Tensor x, Tensor positions, Generator? generator)
    {
        if (shape.Kind == DataKind.Tokens)
        {
            // A random real token (never [UNK] or [MASK]).
            var random = randint(Vocabulary.Reserved, shape.VocabularySize, x.shape, dtype: ScalarType.Int64, device: x.device, generator: generator);
            return where(positions, random, x);
        }
        // Minimum 0 or maximum 1 with equal probability (pixels live in [0, 1]).
        var extreme = rand(x.shape, device: x.device, generator: generator).lt(0.5).to(x.dtype);
        return where(positions, extreme, x);
    }
}
