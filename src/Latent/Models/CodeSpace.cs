// What a model's discrete codes are, for everything downstream of its quantizer: the .vq files (Runs/PackedCodes),
// the prior over codes, codebook health and the report (IDiscreteCodes.Space). Nothing there asks which class made them.

using System.Numerics;

namespace Latent.Models;

/// <summary>How a VQ-VAE makes its latents discrete (<c>--quantizer</c>).</summary>
public enum QuantizerKind
{
    /// <summary>The nearest of K learned codes (van den Oord et al. 2017), per head.</summary>
    Vq,

    /// <summary>Finite scalar quantization (Mentzer et al. 2023): each channel rounded to one of a few levels, codebook Π levels.</summary>
    Fsq,

    /// <summary>Lookup-free quantization (Yu et al. 2023, MAGVIT-2): the sign of each of log₂ K channels.</summary>
    Lfq,

    /// <summary>Residual VQ (Zeghidour et al. 2021, SoundStream): learned codebooks applied to successive residuals.</summary>
    Rvq,
}

/// <summary>
/// The codes of one latent position: <see cref="Heads"/> × <see cref="Stages"/> codes, each in
/// [0, <see cref="CodebookSize"/>), laid out stage by stage and, within a stage, head by head
/// (code c = s·L + h). With <see cref="Levels"/> (FSQ), a code is the mixed-radix integer of its
/// channels' levels, Σ_i ℓ_i·Π_{j&lt;i} L_j, and codes are stored as one mixed-radix integer per
/// example, at exactly ⌈P·C·log₂ K⌉ bits; otherwise each code takes ⌈log₂ K⌉ bits.
/// </summary>
public sealed class CodeSpace
{
    /// <summary>A code space; <paramref name="levels"/> only for FSQ, where K must be their product.</summary>
    public CodeSpace(QuantizerKind quantizer, int heads, int stages, int codebookSize, IReadOnlyList<int>? levels = null)
    {
        if (heads < 1 || stages < 1 || codebookSize < 2) throw new ArgumentException($"no code space has {heads} heads, {stages} stages and K = {codebookSize}");
        Levels = levels?.ToArray() ?? [];
        if (Levels.Count > 0 && Levels.Aggregate(1L, (product, level) => product * level) != codebookSize)
            throw new ArgumentException($"levels {string.Join(",", Levels)} do not multiply to K = {codebookSize}");
        (Quantizer, Heads, Stages, CodebookSize) = (quantizer, heads, stages, codebookSize);
    }

    /// <summary>The quantizer that makes these codes; a .vq file records it so that another kind cannot decode them.</summary>
    public QuantizerKind Quantizer { get; }

    /// <summary>L, parts of z_e quantised separately.</summary>
    public int Heads { get; }

    /// <summary>S, successive residual stages (1 but for RVQ).</summary>
    public int Stages { get; }

    /// <summary>K, the values one code takes.</summary>
    public int CodebookSize { get; }

    /// <summary>FSQ's levels per channel (their product is K); empty for the other quantizers.</summary>
    public IReadOnlyList<int> Levels { get; }

    /// <summary>C = L·S, codes per latent position.</summary>
    public int CodesPerPosition => Heads * Stages;

    /// <summary>Whether codes are stored as one mixed-radix integer per example (FSQ) instead of ⌈log₂ K⌉-bit fields.</summary>
    public bool MixedRadix => Levels.Count > 0;

    /// <summary>⌈log₂ K⌉: the bits of one code stored on its own.</summary>
    public int BitsPerCode => DiscreteCodes.BitsPerCode(CodebookSize);

    /// <summary>
    /// Bits that store one example's P·C codes: P·C·⌈log₂ K⌉ in bit fields, or the bit length of
    /// K^(P·C) − 1 (that is ⌈P·C·log₂ K⌉) as one mixed-radix integer.
    /// </summary>
    public long BitsPerExample(int positions)
    {
        long codes = (long)positions * CodesPerPosition;
        return MixedRadix ? (long)(BigInteger.Pow(CodebookSize, checked((int)codes)) - 1).GetBitLength() : codes * BitsPerCode;
    }

    /// <summary>Whether codes of this space and of <paramref name="other"/> mean the same thing.</summary>
    public bool Matches(CodeSpace other) =>
        Quantizer == other.Quantizer && Heads == other.Heads && Stages == other.Stages && CodebookSize == other.CodebookSize
        && Levels.SequenceEqual(other.Levels);

    /// <summary>One line for messages: "fsq, levels 8,5,5,5 (K = 1000), 1 head".</summary>
    public override string ToString()
    {
        string codes = MixedRadix ? $"levels {string.Join(",", Levels)} (K = {CodebookSize})" : $"K = {CodebookSize}";
        string stages = Stages > 1 ? $", {Stages} stages" : "";
        return $"{Quantizer.ToString().ToLowerInvariant()}, {codes}, {Heads} head{(Heads == 1 ? "" : "s")}{stages}";
    }
}
