using System.Globalization;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>
/// How a conv stack of s stride-2 stages meets an image whose sides are not multiples of 2^s: the
/// input is zero-padded, as evenly as possible on both sides, to the next multiple, and the output of
/// the mirrored decoder is cropped back to the image, so the loss sees only real pixels. A 28×28 image
/// through 3 stages is padded to 32×32 (a 4×4 grid), 50×50 through 2 stages to 52×52 (13×13). Sides
/// that divide already are left alone, so a model of such images is the same as without this.
/// </summary>
/// <param name="Height">The image height.</param>
/// <param name="Width">The image width.</param>
/// <param name="Stages">Stride-2 stages of the conv stack.</param>
public sealed record ConvPadding(int Height, int Width, int Stages)
{
    /// <summary>2^s: what each padded side is a multiple of.</summary>
    public int Multiple => 1 << Stages;

    /// <summary>The sides the conv stack sees.</summary>
    public int PaddedHeight => RoundUp(Height);
    /// <summary>Image width after padding: the next multiple of 2^<see cref="Stages"/>.</summary>
    public int PaddedWidth => RoundUp(Width);

    /// <summary>Rows added above and below, columns to the left and right (the odd one goes below or right).</summary>
    public int Top => (PaddedHeight - Height) / 2;
    /// <summary>Rows of zeros added below the image.</summary>
    public int Bottom => PaddedHeight - Height - Top;
    /// <summary>Columns of zeros added left of the image.</summary>
    public int Left => (PaddedWidth - Width) / 2;
    /// <summary>Columns of zeros added right of the image.</summary>
    public int Right => PaddedWidth - Width - Left;

    /// <summary>The grid after the last stage: padded side / 2^s.</summary>
    public int GridHeight => PaddedHeight >> Stages;
    /// <summary>Columns of the grid after <see cref="Stages"/> stride-2 stages: <see cref="PaddedWidth"/> / 2^<see cref="Stages"/>.</summary>
    public int GridWidth => PaddedWidth >> Stages;

    /// <summary>Whether anything is padded at all.</summary>
    public bool Pads => PaddedHeight != Height || PaddedWidth != Width;

    /// <summary>x [B, C, H, W] → [B, C, H', W'] with zeros around it.</summary>
    public Tensor Pad(Tensor x) => Pads ? nn.functional.pad(x, [Left, Right, Top, Bottom]) : x;

    /// <summary>y [B, C, H', W'] → [B, C, H, W]: the inverse of <see cref="Pad"/>'s placement.</summary>
    public Tensor Crop(Tensor y) => Pads ? y.narrow(2, Top, Height).narrow(3, Left, Width) : y;

    /// <summary>One line for the user, e.g. at the start of training.</summary>
    public string Describe() => Pads
        ? string.Create(CultureInfo.InvariantCulture,
            $"--arch conv: {Height}×{Width} images are zero-padded to {PaddedHeight}×{PaddedWidth} (multiples of 2^{Stages} for {Stages} stride-2 stages; {Top} rows above, {Bottom} below, {Left} columns left, {Right} right) and the decoder's output is cropped back")
        : string.Create(CultureInfo.InvariantCulture, $"--arch conv: {Height}×{Width} images divide into a {GridHeight}×{GridWidth} grid after {Stages} stride-2 stages; no padding");

    int RoundUp(int side) => (side + Multiple - 1) / Multiple * Multiple;
}
