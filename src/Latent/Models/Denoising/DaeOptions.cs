using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Serialization;
using Latent.Data;

namespace Latent.Models.Denoising;

/// <summary>The kinds of corruption a denoising autoencoder learns to undo.</summary>
public enum NoiseKind
{
    /// <summary>A fraction of the elements is replaced by [MASK]: a learned embedding for tokens and table features, a fixed value or a learned one for pixels.</summary>
    Mask,
    /// <summary>Additive isotropic Gaussian noise x + σε (real-valued data only).</summary>
    Gaussian,
    /// <summary>A fraction of the elements is set to the minimum or maximum (0 or 1) at random; for tokens, to random tokens.</summary>
    SaltPepper,
}

/// <summary>Which elements the reconstruction loss counts.</summary>
public enum LossOn
{
    /// <summary>Every element (Vincent et al. 2008).</summary>
    All,
    /// <summary>Only the corrupted elements, as BERT and MAE do; the rest could be copied.</summary>
    Masked,
}

/// <summary>A parsed <c>--noise</c> spec: <c>mask:0.25</c>, <c>gaussian:0.3</c>, <c>salt-pepper:0.2</c>.</summary>
/// <param name="Kind">What the corruption does.</param>
/// <param name="Level">The fraction of corrupted elements (mask, salt-pepper), or σ (gaussian).</param>
public sealed record NoiseSpec(NoiseKind Kind, double Level)
{
    const string Hint = $"pass mask:P, gaussian:SIGMA or salt-pepper:P, e.g. {nameof(DaeOptions.Noise)} mask:0.25";
    const string Noise = nameof(DaeOptions.Noise);

    /// <summary>Reads a corruption spec KIND:LEVEL: <c>mask:0.25</c>, <c>gaussian:0.3</c>, <c>salt-pepper:0.2</c> (also <c>saltpepper</c>, <c>salt-and-pepper</c>).</summary>
    /// <param name="spec">The spec, as <see cref="DaeOptions.Noise"/> holds it.</param>
    /// <exception cref="UserInputException">The spec is malformed, names no corruption, or its level is out of range (a fraction in (0, 1), or σ &gt; 0).</exception>
    public static NoiseSpec Parse(string spec)
    {
        var parts = spec.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length != 2) throw new UserInputException($"{Noise} '{spec}' is not KIND:LEVEL; {Hint}", Noise);
        var kind = parts[0].ToLowerInvariant() switch
        {
            "mask" => NoiseKind.Mask,
            "gaussian" => NoiseKind.Gaussian,
            "salt-pepper" or "saltpepper" or "salt-and-pepper" => NoiseKind.SaltPepper,
            _ => throw new UserInputException($"{Noise} '{spec}' names no known corruption '{parts[0]}'; {Hint}", Noise),
        };
        if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double level) || !double.IsFinite(level))
            throw new UserInputException($"{Noise} '{spec}' has no numeric level; {Hint}", Noise);
        if (kind == NoiseKind.Gaussian ? !(level > 0) : level is <= 0 or >= 1)
            throw new UserInputException(kind == NoiseKind.Gaussian
                ? $"{Noise} '{spec}': σ must be positive, e.g. gaussian:0.3"
                : $"{Noise} '{spec}': the fraction must lie strictly between 0 and 1, e.g. {parts[0]}:0.25", Noise);
        return new NoiseSpec(kind, level);
    }

    /// <summary>
    /// The spec in its canonical form, e.g. <c>salt-pepper:0.2</c>: what <see cref="Parse"/> reads back to the same value.
    /// </summary>
    public override string ToString() =>
        $"{(Kind == NoiseKind.SaltPepper ? "salt-pepper" : Kind.ToString().ToLowerInvariant())}:{Level.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Options of the denoising autoencoder. It needs no bottleneck (restoring corrupted input cannot be
/// done by copying), so the code is wide by default: <c>--latent-dim 256</c> after a 512-wide layer.
/// </summary>
public sealed record DaeOptions : ModelOptions
{
    /// <summary>
    /// The defaults: a wide code (<see cref="ModelOptions.LatentDim"/> 256) after one 512-wide layer, since a DAE needs no bottleneck.
    /// </summary>
    public DaeOptions()
    {
        LatentDim = 256;
        Hidden = [512];
    }

    /// <summary>
    /// The corruption q(x̃ | x) the model learns to undo, as a spec (<see cref="NoiseSpec.Parse"/>): <c>mask:P</c> hides a fraction P behind
    /// [MASK], <c>gaussian:SIGMA</c> adds N(0, σ²), <c>salt-pepper:P</c> sets a fraction P to 0 or 1 (random tokens for text). The default
    /// mask:0.25 (Vincent et al. 2008 use 10–50% masking noise) also makes the model able to inpaint.
    /// </summary>
    [Description("corruption: mask:P (a fraction P behind [MASK]), gaussian:SIGMA (add N(0, σ²)), salt-pepper:P (a fraction P set to 0 or 1; random tokens for text)")]
    public string Noise { get; init; } = "mask:0.25";

    /// <summary>
    /// Which elements the reconstruction loss counts: <see cref="LossOn.All"/> (Vincent et al. 2008, the default) or only the corrupted ones
    /// (<see cref="LossOn.Masked"/>, as BERT and MAE).
    /// </summary>
    [Description("elements the reconstruction loss counts: all, or masked (only the corrupted ones)")]
    public LossOn LossOn { get; init; } = LossOn.All;

    /// <summary>
    /// Images: the value masked pixels take in x̃, in pixel units [0, 1]; 0 (black) as in Vincent et al. 2008. Ignored when
    /// <see cref="LearnMaskValue"/> is on; tables and tokens always learn their [MASK] embedding.
    /// </summary>
    [Description("images: the value masked pixels take (0, black, as in Vincent et al. 2008)")]
    public double MaskValue { get; init; }

    /// <summary>
    /// Images: learn the value masked pixels take, one parameter per pixel position (starting at mid-grey 0.5), instead of <see cref="MaskValue"/>.
    /// </summary>
    [Description("images: learn the value masked pixels take, one per pixel position, instead of --mask-value (tables and tokens always learn theirs)")]
    public bool LearnMaskValue { get; init; }

    /// <summary>
    /// Transformer: width W of the token and patch embeddings and of every block; also the token-embedding width of the MLP on text.
    /// Ignored by conv.
    /// </summary>
    [Description("transformer: width of token and patch embeddings (also the token embedding width of --arch mlp)")]
    public int Width { get; init; } = 64;

    /// <summary>Transformer: number of pre-norm blocks in the encoder.</summary>
    [Description("transformer: number of blocks")]
    public int Depth { get; init; } = 3;

    /// <summary>Transformer: attention heads per block; must divide <see cref="Width"/> (64 / 4 = 16 dimensions per head).</summary>
    [Description("transformer: attention heads per block (must divide --width)")]
    public int AttentionHeads { get; init; } = 4;

    /// <summary>
    /// Transformer on images: side p of the square patches that become its tokens; must divide the image sides (4 makes a 28×28 image 49 tokens).
    /// </summary>
    [Description("transformer on images: side of the square patches that become its tokens")]
    public int PatchSize { get; init; } = 4;

    /// <summary>The parsed <see cref="Noise"/>.</summary>
    [JsonIgnore]
    public NoiseSpec Corruption => NoiseSpec.Parse(Noise);

    /// <summary>
    /// The transformer is sized by <see cref="Width"/>, <see cref="Depth"/> and <see cref="AttentionHeads"/> (and <see cref="PatchSize"/> on images), its code is every
    /// position's state; the MLP and conv networks by the shared options (and <see cref="Width"/> for token embeddings).
    /// </summary>
    public override bool Uses(string property) => property switch
    {
        nameof(LatentDim) or nameof(Hidden) when Arch == Architecture.Transformer => false,
        nameof(Depth) or nameof(AttentionHeads) or nameof(PatchSize) => Arch == Architecture.Transformer,
        nameof(Width) => Arch != Architecture.Conv,
        _ => base.Uses(property),
    };

    /// <summary>
    /// Throws a <see cref="UserInputException"/> when the corruption cannot act on this data (Gaussian noise on tokens, salt-and-pepper on
    /// unbounded table columns), a mask value is given for data that learn theirs, or the transformer's sizes do not fit the data.
    /// </summary>
    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        var noise = Corruption;
        if (noise.Kind == NoiseKind.Gaussian && shape.Kind == DataKind.Tokens)
            throw new UserInputException($"{nameof(Noise)} {noise} adds real-valued noise, which tokens cannot take; pass {nameof(Noise)} mask:0.15 or salt-pepper:0.1 for text", nameof(Noise));
        if (noise.Kind == NoiseKind.SaltPepper && shape.Kind == DataKind.Table)
            throw new UserInputException($"{nameof(Noise)} {noise} needs a known minimum and maximum, which table columns lack; pass {nameof(Noise)} mask:0.25 or gaussian:0.3 for tables", nameof(Noise));
        if ((MaskValue != 0 || LearnMaskValue) && shape.Kind != DataKind.Image)
        {
            string given = LearnMaskValue ? nameof(LearnMaskValue) : nameof(MaskValue);
            throw new UserInputException($"{given} applies to pixels; tables and tokens always learn their [MASK] embedding, so drop it", given);
        }
        if (!double.IsFinite(MaskValue))
            throw new UserInputException($"{nameof(MaskValue)} {MaskValue} is not a finite number; pass e.g. 0", nameof(MaskValue));
        if (shape.Kind == DataKind.Tokens && shape.VocabularySize <= Vocabulary.Reserved)
            throw new UserInputException($"the text has no tokens besides [UNK] and [MASK]; pass a longer text:FILE");
        switch (Arch)
        {
            case Architecture.Transformer:
                if (shape.Kind == DataKind.Table)
                    throw new UserInputException($"{nameof(Arch)} transformer needs images or tokens, not table rows; pass {nameof(Arch)} mlp", nameof(Arch));
                if (Width <= 0 || Depth <= 0 || AttentionHeads <= 0 || Width % AttentionHeads != 0)
                    throw new UserInputException($"{nameof(Width)} {Width}, {nameof(Depth)} {Depth}, {nameof(AttentionHeads)} {AttentionHeads}: all must be positive and the heads must divide the width; pass e.g. {nameof(Width)} 128 {nameof(AttentionHeads)} 4",
                        nameof(Width), nameof(Depth), nameof(AttentionHeads));
                if (shape.Kind == DataKind.Image && (PatchSize <= 0 || shape.Height % PatchSize != 0 || shape.Width % PatchSize != 0))
                    throw new UserInputException(
                        $"{nameof(PatchSize)} {PatchSize} must divide the image sides {shape.Height}×{shape.Width}; pass e.g. {nameof(PatchSize)} {(shape.Height % 4 == 0 && shape.Width % 4 == 0 ? 4 : 1)}", nameof(PatchSize));
                break;
            default:
                if (shape.Kind == DataKind.Tokens && Width <= 0)
                    throw new UserInputException($"{nameof(Width)} {Width} must be positive: it is the width of the token embeddings", nameof(Width));
                break;
        }
    }
}
