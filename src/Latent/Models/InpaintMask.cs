using System.Globalization;
using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// Which part of an example to hide for <c>latent inpaint</c>: <c>center</c> (the middle half of
/// each side, or of a token window), <c>random:F</c> (a fraction F of the units, drawn per example),
/// or <c>box:x,y,w,h</c> (a pixel rectangle). Units are the model's <see cref="IInpainting.MaskUnit"/>:
/// whole patches for a MAE, single pixels or tokens otherwise.
/// </summary>
public abstract record InpaintMask
{
    /// <summary>The middle half of each side (of an image, or of a token window).</summary>
    public sealed record Center : InpaintMask;
    /// <summary>A fraction of the units, drawn per example.</summary>
    /// <param name="Fraction">The fraction hidden, in (0, 1): exactly round(F·n) of n units, at least one.</param>
    public sealed record Random(double Fraction) : InpaintMask;
    /// <summary>A pixel rectangle, the same for every example; clipped to the image.</summary>
    /// <param name="X">Left column, from 0.</param>
    /// <param name="Y">Top row, from 0.</param>
    /// <param name="Width">Width in pixels, positive.</param>
    /// <param name="Height">Height in pixels, positive.</param>
    public sealed record Box(int X, int Y, int Width, int Height) : InpaintMask;

    const string Hint = "pass center, random:0.75 or box:X,Y,W,H";

    /// <summary>Reads a mask spec: <c>center</c> (or <c>centre</c>), <c>random:F</c>, or <c>box:x,y,w,h</c>.</summary>
    /// <param name="spec">The spec.</param>
    /// <exception cref="UserInputException">The spec is none of these, or its numbers are out of range.</exception>
    public static InpaintMask Parse(string spec)
    {
        var parts = spec.Split(':', 2, StringSplitOptions.TrimEntries);
        switch (parts[0].ToLowerInvariant())
        {
            case "center" or "centre" when parts.Length == 1:
                return new Center();
            case "random" when parts.Length == 2:
                if (double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double fraction) && fraction is > 0 and < 1)
                    return new Random(fraction);
                throw new UserInputException($"inpainting mask '{spec}': the fraction must lie strictly between 0 and 1; pass e.g. random:0.75");
            case "box" when parts.Length == 2:
                var numbers = parts[1].Split(',', StringSplitOptions.TrimEntries);
                if (numbers.Length == 4 && numbers.All(n => int.TryParse(n, CultureInfo.InvariantCulture, out _)))
                {
                    var v = numbers.Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
                    if (v[0] >= 0 && v[1] >= 0 && v[2] > 0 && v[3] > 0) return new Box(v[0], v[1], v[2], v[3]);
                }
                throw new UserInputException($"inpainting mask '{spec}' needs four whole numbers x,y,w,h with w and h positive; pass e.g. box:4,4,12,12");
            default:
                throw new UserInputException($"inpainting mask '{spec}' is not a mask; {Hint}");
        }
    }

    /// <summary>bool [count, ...shape], true where hidden; random masks draw from <paramref name="generator"/>.</summary>
    public Tensor Build(DataShape shape, int count, int unit, Generator generator)
    {
        if (shape.Kind != DataKind.Image)
        {
            // Tokens and table features: one row of positions.
            if (this is Box) throw new UserInputException($"box masks are for images, not {shape}; pass center or random:0.15");
            if (this is Random fraction) return RandomPositions(shape.Width, count, fraction.Fraction, generator);
            var line = zeros([count, shape.Width], ScalarType.Bool);
            line[.., TensorIndex.Slice(shape.Width / 4, shape.Width / 4 + (shape.Width + 1) / 2)] = tensor(true);
            return line;
        }
        int rows = shape.Height / unit, columns = shape.Width / unit;
        Tensor units; // [count, rows, columns] bool
        switch (this)
        {
            case Center:
                units = zeros([count, rows, columns], ScalarType.Bool);
                units[.., TensorIndex.Slice(rows / 4, rows / 4 + (rows + 1) / 2), TensorIndex.Slice(columns / 4, columns / 4 + (columns + 1) / 2)] = tensor(true);
                break;
            case Random random:
                units = RandomPositions(rows * columns, count, random.Fraction, generator).view(count, rows, columns);
                break;
            case Box box:
                if (box.X >= shape.Width || box.Y >= shape.Height)
                    throw new UserInputException($"inpainting mask box:{box.X},{box.Y},{box.Width},{box.Height} lies outside the {shape.Height}×{shape.Width} image; pass x < {shape.Width} and y < {shape.Height}");
                var pixels = zeros([count, 1, shape.Height, shape.Width], ScalarType.Bool);
                pixels[.., .., TensorIndex.Slice(box.Y, Math.Min(shape.Height, box.Y + box.Height)), TensorIndex.Slice(box.X, Math.Min(shape.Width, box.X + box.Width))] = tensor(true);
                return pixels.expand(count, shape.Channels, shape.Height, shape.Width).clone();
            default:
                throw new InvalidOperationException();
        }
        // units [count, rows, columns] -> pixels [count, C, H, W]
        return units.repeat_interleave(unit, 1).repeat_interleave(unit, 2).unsqueeze(1).expand(count, shape.Channels, shape.Height, shape.Width).clone();
    }

    /// <summary>Exactly round(F·n) of n positions per example (at least one), chosen by argsort of uniform noise: bool [count, n].</summary>
    static Tensor RandomPositions(int positions, int count, double fraction, Generator generator)
    {
        int hidden = Math.Clamp((int)Math.Round(fraction * positions), 1, positions);
        var rank = rand(count, positions, generator: generator).argsort(1).argsort(1);
        return rank.lt(hidden);
    }
}
