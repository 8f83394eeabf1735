using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>The generative factors of one built-in shape image.</summary>
/// <param name="Shape">Index into <see cref="ShapesSource.ShapeNames"/>; also the label.</param>
/// <param name="Scale">Size, 0.5–1 (the shape's radius is a quarter of the side times this).</param>
/// <param name="Rotation">Angle in radians, 0–2π.</param>
/// <param name="X">Centre, as a fraction of the width (0.35–0.65).</param>
/// <param name="Y">Centre, as a fraction of the height, downwards (0.35–0.65).</param>
/// <param name="Hue">Colour of the shape on the HSV hue circle, 0–1 (0 red, ⅓ green, ⅔ blue); colour images only.</param>
public readonly record struct ShapeFactors(int Shape, float Scale, float Rotation, float X, float Y, float Hue);

/// <summary>
/// The built-in data set: images of one shape on black, in the spirit of dSprites (Matthey et al.
/// 2017), generated from a seed with no download, at any size (<see cref="ShapesSpec"/>), grey or in
/// colour. Every image keeps its generative factors (shape, scale, rotation, x, y, and hue in colour)
/// so that latent spaces can be checked against the truth.
/// <para>
/// Image i is a pure function of (seed, i): <see cref="Draw"/> gives its factors and
/// <see cref="Render"/> its pixels, so a reader can produce any example alone, in any order. The
/// factors do not depend on the size, and the colour's hue is drawn after the others, so
/// <c>shapes:64:rgb</c> shows image for image the shapes of <c>shapes</c>, larger and coloured.
/// </para>
/// </summary>
public static class ShapesSource
{
    /// <summary>Side length of the default set.</summary>
    public const int Size = 32;
    /// <summary>Training examples (validation still inside) by default; <c>--examples</c> changes it.</summary>
    public const int TrainCount = 20000;
    /// <summary>Test examples, whatever <c>--examples</c> says, so every run is tested on the same images.</summary>
    public const int TestCount = 2000;
    /// <summary>The shape classes of <c>shapes</c>, by label id.</summary>
    public static readonly string[] ShapeNames = ["square", "ellipse", "heart", "triangle"];
    /// <summary>The factors of grey images.</summary>
    public static readonly string[] FactorNames = ["shape", "scale", "rotation", "x", "y"];
    /// <summary>The factors of colour images: the grey ones and the hue.</summary>
    public static readonly string[] ColourFactorNames = [.. FactorNames, "hue"];

    /// <summary>Seeds of the two splits.</summary>
    public const long TrainSeed = 1, TestSeed = 2;

    /// <summary>The range each continuous factor is drawn from, uniformly: scale (of the shape's radius), rotation (radians), x and y (of the centre, as fractions of the side).</summary>
    public static readonly (double Low, double High) ScaleRange = (0.5, 1.0), RotationRange = (0, 2 * Math.PI), PositionRange = (0.35, 0.65);

    /// <summary>
    /// The order of each shape's rotational symmetry: turning it by 2π/order leaves its picture unchanged
    /// (square 4, ellipse 2; the heart and the triangle are only mirror-symmetric, 1), so only the rotation
    /// modulo 2π/order can be told from an image.
    /// </summary>
    public static readonly int[] RotationalSymmetry = [4, 2, 1, 1];

    /// <summary>
    /// Train (with validation still inside: <paramref name="examples"/> images, 20 000 by default, only
    /// the first <paramref name="limit"/> when given) and test (2 000) splits, from different seeds.
    /// </summary>
    /// <remarks>The training images are streamed (<see cref="RenderedShapes"/>, rendered batch by batch) when <paramref name="storage"/> says so; the test split is always held.</remarks>
    public static (Dataset TrainAndValidation, Dataset Test) Load(ShapesSpec spec, int? examples = null, int? limit = null, DataStorage storage = DataStorage.Memory)
    {
        int count = Math.Min(limit ?? examples ?? TrainCount, examples ?? TrainCount);
        var train = StorageChoice.Streams(storage, count, spec.Shape) ? Stream(spec, count, TrainSeed) : Generate(spec, count, TrainSeed);
        return (train, Generate(spec, TestCount, TestSeed));
    }

    /// <summary>The default 32×32 grey splits (see <see cref="Load(ShapesSpec, int?, int?, DataStorage)"/>).</summary>
    public static (Dataset TrainAndValidation, Dataset Test) Load(int? limit = null) => Load(ShapesSpec.Default, limit: limit);

    /// <summary><paramref name="count"/> default 32×32 grey images (see <see cref="Generate(ShapesSpec, int, long)"/>).</summary>
    public static Dataset Generate(int count, long seed) => Generate(ShapesSpec.Default, count, seed);

    /// <summary>
    /// <paramref name="count"/> images whose factors are drawn uniformly. Image i depends only on
    /// (seed, i), so a smaller count gives a prefix of a larger one.
    /// </summary>
    public static Dataset Generate(ShapesSpec spec, int count, long seed) => Describe(spec, count, seed, render: true);

    /// <summary>The images of <see cref="Generate(ShapesSpec, int, long)"/>, streamed: labels and factors held, pixels rendered when a batch asks for them.</summary>
    public static Dataset Stream(ShapesSpec spec, int count, long seed) => Describe(spec, count, seed, render: false);

    static Dataset Describe(ShapesSpec spec, int count, long seed, bool render)
    {
        var names = spec.Colour ? ColourFactorNames : FactorNames;
        var shapes = new int[count];
        var factors = names.ToDictionary(name => name, _ => new float[count]);
        var draws = new ShapeFactors[count];
        for (int i = 0; i < count; i++)
        {
            var f = draws[i] = Draw(seed, i, spec.Colour);
            shapes[i] = f.Shape;
            factors["shape"][i] = f.Shape;
            factors["scale"][i] = f.Scale;
            factors["rotation"][i] = f.Rotation;
            factors["x"][i] = f.X;
            factors["y"][i] = f.Y;
            if (spec.Colour) factors["hue"][i] = f.Hue;
        }

        if (!render) return new Dataset(new RenderedShapes(spec, draws), spec.Shape, shapes, ShapeNames, factors);
        // Rendered straight into the tensor's memory, a chunk at a time (a span covers at most 2 GB).
        var features = empty([count, spec.Channels, spec.Size, spec.Size]);
        int pixels = spec.PixelCount, chunk = Math.Max(1, (1 << 28) / pixels);
        for (int start = 0; start < count; start += chunk)
        {
            int length = Math.Min(chunk, count - start);
            using var part = features.narrow(0, start, length);
            RenderAll(spec, draws.AsSpan(start, length), part.bytes);
        }
        return new Dataset(features, spec.Shape, shapes, ShapeNames, factors);
    }

    /// <summary>Renders <paramref name="draws"/> in parallel into <paramref name="target"/> (float32 images one after another).</summary>
    internal static unsafe void RenderAll(ShapesSpec spec, ReadOnlySpan<ShapeFactors> draws, Span<byte> target)
    {
        int pixels = spec.PixelCount;
        if (target.Length != (long)draws.Length * pixels * sizeof(float))
            throw new ArgumentException("the target does not hold one image per draw", nameof(target));
        var factors = draws.ToArray();
        fixed (byte* pointer = target)
        {
            var address = (nint)pointer;
            Parallel.For(0, factors.Length, i => Render(spec, factors[i], new Span<float>((float*)address + (long)i * pixels, pixels)));
        }
    }

    /// <summary>The factors of image <paramref name="index"/> of the set drawn from <paramref name="seed"/>.</summary>
    public static ShapeFactors Draw(long seed, long index, bool colour)
    {
        var random = new SplitMix64(Shuffle.Derive(seed, index));
        int shape = (int)random.NextBelow((ulong)ShapeNames.Length);
        float scale = (float)random.Uniform(ScaleRange.Low, ScaleRange.High);
        float rotation = (float)random.Uniform(RotationRange.Low, RotationRange.High);
        float x = (float)random.Uniform(PositionRange.Low, PositionRange.High);
        float y = (float)random.Uniform(PositionRange.Low, PositionRange.High);
        float hue = colour ? (float)random.Uniform(0, 1) : 0;
        return new ShapeFactors(shape, scale, rotation, x, y, hue);
    }

    /// <summary>
    /// Draws one shape into <paramref name="image"/> [C, SIZE, SIZE] (C·SIZE² floats) with 4×4
    /// supersampling, so that edges are anti-aliased: each pixel is the fraction of its 16 samples
    /// inside the shape, times the shape's colour.
    /// </summary>
    public static void Render(ShapesSpec spec, ShapeFactors factors, Span<float> image)
    {
        const int subsamples = 4;
        int size = spec.Size, plane = size * size;
        if (image.Length != spec.PixelCount)
            throw new ArgumentException($"an image of {spec} needs {spec.PixelCount} floats, not {image.Length}", nameof(image));
        double radius = factors.Scale * 0.25 * size, cos = Math.Cos(factors.Rotation), sin = Math.Sin(factors.Rotation);
        // The centre in pixels, rounded to float as the first version of this renderer did: every
        // sample position below is computed exactly as it was, so the default set is bit-identical.
        float centreX = factors.X * size, centreY = factors.Y * size;
        var (inner, outer) = Bounds[factors.Shape];
        // A pixel's samples lie within 0.375·√2 pixels of its centre. When the centre is farther out
        // than the shape's bounding circle by that much, every sample is outside; when it is well
        // inside the inscribed circle, every sample is inside. Only the pixels in between are sampled.
        const double reach = 0.5304;
        double outside = outer * radius + reach, inside = Math.Max(0, inner * radius - reach);
        double outsideSquared = outside * outside, insideSquared = inside * inside;
        var colour = spec.Colour ? HueToRgb(factors.Hue) : (Red: 1f, Green: 1f, Blue: 1f);

        image.Clear();
        for (int row = 0; row < size; row++)
        for (int column = 0; column < size; column++)
        {
            double centreDx = column + 0.5 - centreX, centreDy = row + 0.5 - centreY;
            double distanceSquared = centreDx * centreDx + centreDy * centreDy;
            if (distanceSquared >= outsideSquared) continue;
            float coverage;
            if (distanceSquared < insideSquared) coverage = 1;
            else
            {
                int hits = 0;
                for (int sy = 0; sy < subsamples; sy++)
                for (int sx = 0; sx < subsamples; sx++)
                {
                    // Pixel sample -> the shape's own frame: translate, rotate back, scale to unit size.
                    double dx = column + (sx + 0.5) / subsamples - centreX;
                    double dy = row + (sy + 0.5) / subsamples - centreY;
                    double u = (cos * dx + sin * dy) / radius, v = (-sin * dx + cos * dy) / radius;
                    if (Contains(factors.Shape, u, v)) hits++;
                }
                coverage = hits / (float)(subsamples * subsamples);
            }
            int at = row * size + column;
            if (!spec.Colour) image[at] = coverage;
            else
            {
                image[at] = coverage * colour.Red;
                image[plane + at] = coverage * colour.Green;
                image[2 * plane + at] = coverage * colour.Blue;
            }
        }
    }

    /// <summary>
    /// Radii, in the shape's unit frame, of a circle inside each shape and of one around it, with a
    /// margin of 0.01 (measured on a 0.001 grid: square 0.85 and 1.202, ellipse 0.6 and 1, heart 0.740
    /// and 1.143, triangle 0.499 and 1.166); a test renders every shape both ways and compares.
    /// </summary>
    static readonly (double Inner, double Outer)[] Bounds = [(0.84, 1.212), (0.59, 1.01), (0.73, 1.153), (0.489, 1.176)];

    /// <summary>Whether (u, v) lies inside the unit-sized shape, v pointing down.</summary>
    internal static bool Contains(int shape, double u, double v) => shape switch
    {
        0 => Math.Abs(u) <= 0.85 && Math.Abs(v) <= 0.85,
        1 => u * u + v * v / 0.36 <= 1,
        2 => Heart(u * 1.15, -v * 1.15 + 0.15),
        _ => v <= 0.6 && v >= -0.9 + 1.732 * Math.Abs(u) * 0.866,
    };

    /// <summary>The heart curve (x² + y² − 1)³ − x²y³ ≤ 0.</summary>
    static bool Heart(double x, double y)
    {
        double a = x * x + y * y - 1;
        return a * a * a - x * x * y * y * y <= 0;
    }

    /// <summary>The fully saturated, fully bright colour of a hue in [0, 1) (HSV with S = V = 1).</summary>
    internal static (float Red, float Green, float Blue) HueToRgb(float hue)
    {
        float sector = (hue - MathF.Floor(hue)) * 6;
        int index = Math.Min(5, (int)sector);
        float rising = sector - index, falling = 1 - rising;
        return index switch
        {
            0 => (1, rising, 0),
            1 => (falling, 1, 0),
            2 => (0, 1, rising),
            3 => (0, falling, 1),
            4 => (rising, 0, 1),
            _ => (1, 0, falling),
        };
    }
}
