// The seam between a VQ-VAE and the way it makes its latents discrete. A quantizer maps the encoder's vectors
// z_e at every latent position to codes and back; the model, the .vq files, the prior over codes and the report
// see only this interface and the CodeSpace it describes, never a concrete quantizer.
//   Implementations: VectorQuantizer (learned codebooks, van den Oord et al. 2017), FiniteScalarQuantizer
//   (Mentzer et al. 2023), LookupFreeQuantizer (Yu et al. 2023) and ResidualQuantizer (Zeghidour et al. 2021).

using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>What quantising a batch gives, whatever the quantizer.</summary>
/// <param name="Output">
/// [B, P, dim]: the decoder's input. Its value is the quantised vector; its gradient reaches the encoder
/// by the quantizer's estimator (straight-through, or the rotation trick).
/// </param>
/// <param name="Codes">[B, P, C] int64: the codes of every position, C = <see cref="CodeSpace.CodesPerPosition"/>.</param>
/// <param name="Terms">
/// The quantizer's own loss terms (<see cref="QuantizerTerms"/>), each a scalar already weighted, in the
/// order the model adds them to the reconstruction loss; empty for FSQ, which has none.
/// </param>
public sealed record QuantizerOutput(Tensor Output, Tensor Codes, IReadOnlyList<(MetricKey Term, Tensor Value)> Terms);

/// <summary>
/// Turns the encoder's vectors at every latent position into discrete codes and back. Implementations are
/// TorchSharp modules, so their parameters and buffers are part of the model's state dict under <c>quantizer.*</c>.
/// </summary>
public interface IQuantizer
{
    /// <summary>What the codes are: how many per position, of how many values, and how they are stored.</summary>
    CodeSpace Space { get; }

    /// <summary>
    /// Quantises z [B, P, dim]. With <paramref name="learn"/> (training steps only) a quantizer with learned
    /// codes also updates them from this batch (k-means initialisation, EMA, restarts) and may train with a
    /// random prefix of its stages (quantizer dropout); without it, nothing changes.
    /// </summary>
    QuantizerOutput Quantize(Tensor z, bool learn);

    /// <summary>The codes of z [B, P, dim] → [B, P, C] int64, without learning or gradients.</summary>
    Tensor Codes(Tensor z);

    /// <summary>Codes [B, P, C] → the vectors they stand for [B, P, dim], as the decoder reads them.</summary>
    Tensor Embed(Tensor codes);

    /// <summary>
    /// Codes [B, P, C] → the vectors that only the first <paramref name="stages"/> of <see cref="CodeSpace.Stages"/>
    /// stand for [B, P, dim] (a residual quantizer's coarser reconstructions); all stages give <see cref="Embed"/>.
    /// </summary>
    Tensor EmbedPrefix(Tensor codes, int stages);
}
