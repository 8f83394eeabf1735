using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// The built-in data set: grey 32×32 images of one white shape on black, in the spirit of dSprites
/// (Matthey et al. 2017), generated from a seed with no download. Every image keeps its generative
/// factors (shape, scale, rotation, x, y) so that latent spaces can be checked against the truth.
/// </summary>
public static class ShapesSource
{
    public const int Size = 32;
    public const int TrainCount = 20000;
    public const int TestCount = 2000;
    public static readonly string[] ShapeNames = ["square", "ellipse", "heart", "triangle"];
    public static readonly string[] FactorNames = ["shape", "scale", "rotation", "x", "y"];

    /// <summary>The range each continuous factor is drawn from, uniformly: scale (of the shape's radius), rotation (radians), x and y (of the centre, as fractions of the side).</summary>
    public static readonly (double Low, double High) ScaleRange = (0.5, 1.0), RotationRange = (0, 2 * Math.PI), PositionRange = (0.35, 0.65);

    /// <summary>
    /// The order of each shape's rotational symmetry: turning it by 2π/order leaves its picture unchanged
    /// (square 4, ellipse 2; the heart and the triangle are only mirror-symmetric, 1), so only the rotation
    /// modulo 2π/order can be told from an image.
    /// </summary>
    public static readonly int[] RotationalSymmetry = [4, 2, 1, 1];

    /// <summary>
    /// Train (with validation still inside; only the first <paramref name="limit"/> images when given)
    /// and test splits, from different seeds.
    /// </summary>
    public static (Dataset TrainAndValidation, Dataset Test) Load(int? limit = null) =>
        (Generate(Math.Min(limit ?? TrainCount, TrainCount), seed: 1), Generate(TestCount, seed: 2));

    /// <summary>
    /// <paramref name="count"/> images whose factors are drawn uniformly. Image i depends only on
    /// (seed, i), so a smaller count gives a prefix of a larger one.
    /// </summary>
    public static Dataset Generate(int count, long seed)
    {
        var shapes = new int[count];
        var factors = FactorNames.ToDictionary(name => name, _ => new float[count]);
        for (int i = 0; i < count; i++)
        {
            var random = new SplitMix64(Shuffle.Derive(seed, i));
            shapes[i] = (int)random.NextBelow((ulong)ShapeNames.Length);
            factors["shape"][i] = shapes[i];
            factors["scale"][i] = (float)random.Uniform(ScaleRange.Low, ScaleRange.High);
            factors["rotation"][i] = (float)random.Uniform(RotationRange.Low, RotationRange.High);
            factors["x"][i] = (float)random.Uniform(PositionRange.Low, PositionRange.High);
            factors["y"][i] = (float)random.Uniform(PositionRange.Low, PositionRange.High);
        }

        var pixels = new float[count * Size * Size];
        Parallel.For(0, count, i => Render(shapes[i], factors["scale"][i], factors["rotation"][i],
            factors["x"][i], factors["y"][i], pixels.AsSpan(i * Size * Size, Size * Size)));
        return new Dataset(tensor(pixels, [count, 1, Size, Size]), DataShape.Image(1, Size, Size), shapes, ShapeNames, factors);
    }

    /// <summary>Draws one shape with 4×4 supersampling, so edges are anti-aliased.</summary>
    internal static void Render(int shape, float scale, float rotation, float centreX, float centreY, Span<float> image)
    {
        const int subsamples = 4;
        double radius = scale * 0.25 * Size, cos = Math.Cos(rotation), sin = Math.Sin(rotation);
        for (int row = 0; row < Size; row++)
        for (int column = 0; column < Size; column++)
        {
            int inside = 0;
            for (int sy = 0; sy < subsamples; sy++)
            for (int sx = 0; sx < subsamples; sx++)
            {
                // Pixel sample -> the shape's own frame: translate, rotate back, scale to unit size.
                double dx = column + (sx + 0.5) / subsamples - centreX * Size;
                double dy = row + (sy + 0.5) / subsamples - centreY * Size;
                double u = (cos * dx + sin * dy) / radius, v = (-sin * dx + cos * dy) / radius;
                if (Contains(shape, u, v)) inside++;
            }
            image[row * Size + column] = inside / (float)(subsamples * subsamples);
        }
    }

    /// <summary>Whether (u, v) lies inside the unit-sized shape, v pointing down.</summary>
    static bool Contains(int shape, double u, double v) => shape switch
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
}
