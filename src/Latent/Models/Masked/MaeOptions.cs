using System.ComponentModel;
using Latent.Data;

namespace Latent.Models.Masked;

/// <summary>
/// Options of the masked autoencoder. The defaults are a small ViT for 28–32 pixel images (4×4
/// patches); the paper's ViT-B is width 768, depth 12, with a decoder of width 512 and depth 8.
/// </summary>
public sealed record MaeOptions : ModelOptions
{
    public MaeOptions() => Arch = Architecture.Vit;

    [Description("side of the square patches (must divide the image sides)")]
    public int PatchSize { get; init; } = 4;

    [Description("fraction of patches hidden from the encoder in training")]
    public double MaskRatio { get; init; } = 0.75;

    [Description("predict each masked patch normalised by its own mean and variance (the paper's better-representation option)")]
    public bool NormPixLoss { get; init; }

    [Description("encoder width (embedding dimension)")]
    public int Width { get; init; } = 128;

    [Description("encoder transformer blocks")]
    public int Depth { get; init; } = 4;

    [Description("attention heads in encoder and decoder blocks (must divide both widths)")]
    public int AttentionHeads { get; init; } = 4;

    [Description("decoder width; the decoder is light, as in the paper")]
    public int DecoderWidth { get; init; } = 64;

    [Description("decoder transformer blocks")]
    public int DecoderDepth { get; init; } = 2;

    [Description("prepend a learned class token to the encoder's sequence (the representation is the patch mean either way)")]
    public bool ClsToken { get; init; } = true;

    /// <summary>Patches kept visible per example in training: N(1 − ratio), as MAE's int(L·(1 − mask_ratio)).</summary>
    public int VisiblePatches(DataShape shape) => (int)(Patches(shape) * (1 - MaskRatio));

    /// <summary>N = (H/p)·(W/p).</summary>
    public int Patches(DataShape shape) => shape.Height / PatchSize * (shape.Width / PatchSize);

    /// <summary>The ViT is sized by its widths and depths; the shared latent size, MLP widths and conv channels do not apply.</summary>
    public override bool Uses(string property) => property is not (nameof(LatentDim) or nameof(Hidden) or nameof(Channels));

    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        if (shape.Kind != DataKind.Image)
            throw new UserInputException($"--model mae masks image patches but the data are {shape}; pass --model dae for tables and text");
        if (PatchSize <= 0 || shape.Height % PatchSize != 0 || shape.Width % PatchSize != 0)
            throw new UserInputException($"--patch-size {PatchSize} must divide the image sides {shape.Height}×{shape.Width}; pass e.g. --patch-size 4, or --image-size a multiple of it");
        if (Width <= 0 || DecoderWidth <= 0 || Depth <= 0 || DecoderDepth <= 0 || AttentionHeads <= 0)
            throw new UserInputException("--width, --decoder-width, --depth, --decoder-depth and --attention-heads must all be positive");
        if (Width % 4 != 0 || DecoderWidth % 4 != 0 || Width % AttentionHeads != 0 || DecoderWidth % AttentionHeads != 0)
            throw new UserInputException(
                $"--width {Width} and --decoder-width {DecoderWidth} must be multiples of 4 (for the 2-D position code) and of --attention-heads {AttentionHeads}; pass e.g. --width 128 --decoder-width 64 --attention-heads 4");
        int visible = VisiblePatches(shape), patches = Patches(shape);
        if (MaskRatio is <= 0 or >= 1 || double.IsNaN(MaskRatio) || visible < 1 || visible >= patches)
            throw new UserInputException(
                $"--mask-ratio {MaskRatio} must hide some but not all of the {patches} patches; pass a fraction such as 0.75");
    }
}
