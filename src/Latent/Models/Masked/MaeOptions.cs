using System.ComponentModel;
using Latent.Data;

namespace Latent.Models.Masked;

/// <summary>
/// Options of the masked autoencoder. The defaults are a small ViT for 28–32 pixel images (4×4
/// patches); the paper's ViT-B is width 768, depth 12, with a decoder of width 512 and depth 8.
/// </summary>
public sealed record MaeOptions : ModelOptions
{
    /// <summary>The defaults, with the architecture a MAE always has: <see cref="Architecture.Vit"/>.</summary>
    public MaeOptions() => Arch = Architecture.Vit;

    /// <summary>
    /// Side p of the square patches the image is cut into, each one token; must divide the image sides. 4 gives a 28×28 image
    /// 49 patches, as the paper's 16 gives a 224×224 image 196.
    /// </summary>
    [Description("side of the square patches (must divide the image sides)")]
    public int PatchSize { get; init; } = 4;

    /// <summary>
    /// Fraction of the patches hidden from the encoder in training; 0.75 is the paper's choice (He et al. 2022, §4), high because
    /// images are redundant.
    /// </summary>
    [Description("fraction of patches hidden from the encoder in training")]
    public double MaskRatio { get; init; } = 0.75;

    /// <summary>
    /// Predict each hidden patch normalised by its own mean and variance (the paper's <c>norm_pix_loss</c>, which gives better
    /// representations); off by default so that decoded pixels are pixels.
    /// </summary>
    [Description("predict each masked patch normalised by its own mean and variance (the paper's better-representation option)")]
    public bool NormPixLoss { get; init; }

    /// <summary>
    /// Encoder width: the embedding dimension E of patches and blocks, and the size of the pooled representation; a multiple of 4
    /// (the 2-D position code) and of <see cref="AttentionHeads"/>.
    /// </summary>
    [Description("encoder width (embedding dimension)")]
    public int Width { get; init; } = 128;

    /// <summary>Number of encoder transformer blocks.</summary>
    [Description("encoder transformer blocks")]
    public int Depth { get; init; } = 4;

    /// <summary>Attention heads per block, in encoder and decoder alike; must divide both widths.</summary>
    [Description("attention heads in encoder and decoder blocks (must divide both widths)")]
    public int AttentionHeads { get; init; } = 4;

    /// <summary>
    /// Decoder width; the decoder is light (the paper's is under a tenth of the encoder's compute), since it only serves pre-training.
    /// </summary>
    [Description("decoder width; the decoder is light, as in the paper")]
    public int DecoderWidth { get; init; } = 64;

    /// <summary>Number of decoder transformer blocks.</summary>
    [Description("decoder transformer blocks")]
    public int DecoderDepth { get; init; } = 2;

    /// <summary>
    /// Prepend a learned class token to the encoder's sequence, as the paper does; the representation is the mean of the patch
    /// tokens either way.
    /// </summary>
    [Description("prepend a learned class token to the encoder's sequence (the representation is the patch mean either way)")]
    public bool ClsToken { get; init; } = true;

    /// <summary>Patches kept visible per example in training: N(1 − ratio), as MAE's int(L·(1 − mask_ratio)).</summary>
    public int VisiblePatches(DataShape shape) => (int)(Patches(shape) * (1 - MaskRatio));

    /// <summary>N = (H/p)·(W/p).</summary>
    public int Patches(DataShape shape) => shape.Height / PatchSize * (shape.Width / PatchSize);

    /// <summary>The ViT is sized by its widths and depths; the shared latent size, MLP widths and conv channels do not apply.</summary>
    public override bool Uses(string property) => property is not (nameof(LatentDim) or nameof(Hidden) or nameof(Channels)) && base.Uses(property);

    /// <summary>
    /// Throws a <see cref="UserInputException"/> unless the data are images that the patches tile, the ViT's sizes are
    /// positive multiples of 4 (the 2-D sin-cos position code) and of the heads, and the mask ratio leaves some patches visible.
    /// </summary>
    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        const string family = FamilyOption;
        if (shape.Kind != DataKind.Image)
            throw new UserInputException($"{family} mae masks image patches but the data are {shape}; pass {family} dae for tables and text", family);
        if (PatchSize <= 0 || shape.Height % PatchSize != 0 || shape.Width % PatchSize != 0)
            throw new UserInputException($"{nameof(PatchSize)} {PatchSize} must divide the image sides {shape.Height}×{shape.Width}; pass e.g. {nameof(PatchSize)} 4, or {nameof(DataOptions.ImageSize)} a multiple of it",
                nameof(PatchSize), nameof(DataOptions.ImageSize));
        if (Width <= 0 || DecoderWidth <= 0 || Depth <= 0 || DecoderDepth <= 0 || AttentionHeads <= 0)
            throw new UserInputException($"{nameof(Width)}, {nameof(DecoderWidth)}, {nameof(Depth)}, {nameof(DecoderDepth)} and {nameof(AttentionHeads)} must all be positive",
                nameof(Width), nameof(DecoderWidth), nameof(Depth), nameof(DecoderDepth), nameof(AttentionHeads));
        if (Width % 4 != 0 || DecoderWidth % 4 != 0 || Width % AttentionHeads != 0 || DecoderWidth % AttentionHeads != 0)
            throw new UserInputException(
                $"{nameof(Width)} {Width} and {nameof(DecoderWidth)} {DecoderWidth} must be multiples of 4 (for the 2-D position code) and of {nameof(AttentionHeads)} {AttentionHeads}; pass e.g. {nameof(Width)} 128 {nameof(DecoderWidth)} 64 {nameof(AttentionHeads)} 4",
                nameof(Width), nameof(DecoderWidth), nameof(AttentionHeads));
        int visible = VisiblePatches(shape), patches = Patches(shape);
        if (MaskRatio is <= 0 or >= 1 || double.IsNaN(MaskRatio) || visible < 1 || visible >= patches)
            throw new UserInputException(
                $"{nameof(MaskRatio)} {MaskRatio} must hide some but not all of the {patches} patches; pass a fraction such as 0.75", nameof(MaskRatio));
    }
}
