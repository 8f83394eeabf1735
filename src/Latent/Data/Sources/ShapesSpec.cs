using System.Globalization;

namespace Latent.Data.Sources;

/// <summary>
/// Which built-in shapes to draw: <c>--data shapes[:SIZE][:rgb]</c>. <c>shapes</c> alone is the
/// 32×32 grey set every earlier run used; <c>shapes:64:rgb</c> draws the same shapes (same factors,
/// image for image) at 64×64 in colour.
/// </summary>
/// <param name="Size">Side length in pixels.</param>
/// <param name="Colour">Whether each shape has a colour (the factor <c>hue</c>) on black, in RGB; grey otherwise.</param>
public sealed record ShapesSpec(int Size, bool Colour)
{
    /// <summary>The default: 32×32 grey.</summary>
    public static readonly ShapesSpec Default = new(32, false);

    /// <summary>Smallest and largest side length accepted.</summary>
    public const int MinSize = 8, MaxSize = 1024;

    /// <summary>1 for grey, 3 for colour.</summary>
    public int Channels => Colour ? 3 : 1;

    /// <summary>[C, SIZE, SIZE] images.</summary>
    public DataShape Shape => DataShape.Image(Channels, Size, Size);

    /// <summary>Floats in one image.</summary>
    public int PixelCount => Channels * Size * Size;

    /// <summary>
    /// Reads the part of the spec after <c>shapes:</c> (empty for plain <c>shapes</c>): a side length,
    /// <c>rgb</c> (or <c>grey</c>), or both, in either order, e.g. <c>64:rgb</c>.
    /// </summary>
    public static ShapesSpec Parse(string argument)
    {
        var spec = Default;
        if (argument.Length == 0) return spec;
        foreach (var raw in argument.Split(':'))
        {
            var part = raw.Trim().ToLowerInvariant();
            if (part is "rgb" or "color" or "colour") spec = spec with { Colour = true };
            else if (part is "grey" or "gray") spec = spec with { Colour = false };
            else if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size) && size is >= MinSize and <= MaxSize)
                spec = spec with { Size = size };
            else
                throw new UserInputException(
                    $"{nameof(DataOptions.Data)} shapes:{argument}: '{raw}' is neither a side length ({MinSize}–{MaxSize}) nor rgb/grey; pass e.g. shapes:64:rgb", nameof(DataOptions.Data));
        }
        return spec;
    }

    /// <summary>The spec as <c>--data</c> takes it: <c>shapes</c>, <c>shapes:64</c>, <c>shapes:64:rgb</c>.</summary>
    public override string ToString() =>
        this == Default ? "shapes" : $"shapes:{Size.ToString(CultureInfo.InvariantCulture)}{(Colour ? ":rgb" : "")}";
}
