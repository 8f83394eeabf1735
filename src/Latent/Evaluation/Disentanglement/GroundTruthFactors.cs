// The generative factors of the built-in shapes as classes, for the disentanglement metrics.
//
// MIG, DCI and SAP (as disentanglement_lib computes them) take discrete factors: dSprites' are
// indices into fixed grids (6 scales, 40 orientations, 32 × 32 positions). The factors of shapes are
// drawn uniformly from continuous ranges instead, so each is cut into equal-width bins over the
// range it is drawn from (fixed, not fitted to the data, so every run is scored against the same
// classes). Rotation needs one more step: a square turned by 90° or an ellipse turned by 180° is the
// same picture, so the angle itself cannot be recovered from an image. It is replaced by its phase
// within the shape's symmetry period, (θ mod 2π/s) / (2π/s) ∈ [0, 1) with s the order of the shape's
// rotational symmetry (ShapesSource.RotationalSymmetry), which is what the picture determines; the
// phase is then binned like the others.

using Latent.Data;
using Latent.Data.Sources;

namespace Latent.Evaluation.Disentanglement;

/// <summary>One generative factor as a class per example.</summary>
/// <param name="Name">The factor ("shape", "scale", "rotation", "x", "y").</param>
/// <param name="Classes">The class of each example, in [0, <paramref name="ClassCount"/>).</param>
/// <param name="ClassCount">How many classes the rule can produce (some may be empty on a given split).</param>
/// <param name="Rule">How the classes were made, for reports and the CSV.</param>
public sealed record DiscreteFactor(string Name, int[] Classes, int ClassCount, string Rule);

/// <summary>The generative factors of a data set, made discrete as the disentanglement metrics need them.</summary>
public static class GroundTruthFactors
{
    /// <summary>Equal-width bins of every continuous factor (scale, rotation phase, x, y).</summary>
    public const int ContinuousBins = 10;

    /// <summary>Whether <paramref name="data"/> carries factors this class knows how to make discrete (the built-in shapes).</summary>
    public static bool Known(Dataset data) =>
        data.Factors is { } factors && ShapesSource.FactorNames.All(factors.ContainsKey);

    /// <summary>
    /// The factors of <paramref name="data"/> as classes: shape as it is (square, ellipse, heart,
    /// triangle), scale, x and y in <see cref="ContinuousBins"/> equal-width bins over the ranges they are
    /// drawn from, rotation as its phase within the shape's symmetry period in as many bins.
    /// </summary>
    public static IReadOnlyList<DiscreteFactor> Discretise(Dataset data)
    {
        if (!Known(data))
            throw new UserInputException(data.Factors is null
                ? $"{nameof(EvaluationOptions.Disentanglement)} needs data with known generative factors, and this data has none; evaluate a run trained on {nameof(DataOptions.Data)} shapes"
                : $"{nameof(EvaluationOptions.Disentanglement)} knows the factors of shapes ({string.Join(", ", ShapesSource.FactorNames)}), not [{string.Join(", ", data.Factors.Keys)}]; evaluate a run trained on {nameof(DataOptions.Data)} shapes",
                nameof(EvaluationOptions.Disentanglement), nameof(DataOptions.Data));
        var factors = data.Factors!;
        var shapes = factors["shape"].Select(value => (int)value).ToArray();
        var phases = factors["rotation"].Select((angle, i) => RotationPhase(angle, ShapesSource.RotationalSymmetry[shapes[i]])).ToArray();
        string bins = $"{ContinuousBins} equal-width bins";
        return
        [
            new("shape", shapes, ShapesSource.ShapeNames.Length, string.Join(", ", ShapesSource.ShapeNames.Select((name, i) => $"{i} {name}"))),
            new("scale", Bin(factors["scale"].Select(v => (double)v), ShapesSource.ScaleRange), ContinuousBins,
                $"{bins} over [{ShapesSource.ScaleRange.Low}, {ShapesSource.ScaleRange.High}]"),
            new("rotation", Bin(phases, (0, 1)), ContinuousBins,
                $"{bins} of the phase (θ mod 2π/s)/(2π/s) in [0, 1), s = {string.Join(", ", ShapesSource.RotationalSymmetry)} for {string.Join(", ", ShapesSource.ShapeNames)}"),
            new("x", Bin(factors["x"].Select(v => (double)v), ShapesSource.PositionRange), ContinuousBins,
                $"{bins} over [{ShapesSource.PositionRange.Low}, {ShapesSource.PositionRange.High}]"),
            new("y", Bin(factors["y"].Select(v => (double)v), ShapesSource.PositionRange), ContinuousBins,
                $"{bins} over [{ShapesSource.PositionRange.Low}, {ShapesSource.PositionRange.High}]"),
        ];
    }

    /// <summary>(θ mod 2π/s) / (2π/s) in [0, 1): the rotation a picture of a shape with s-fold symmetry determines.</summary>
    public static double RotationPhase(float angle, int symmetry)
    {
        double period = 2 * Math.PI / symmetry, turns = angle / period;
        return turns - Math.Floor(turns);
    }

    /// <summary>floor((v − low) / (high − low) · bins), clamped to [0, bins − 1].</summary>
    static int[] Bin(IEnumerable<double> values, (double Low, double High) range) =>
        values.Select(value => Math.Clamp((int)Math.Floor((value - range.Low) / (range.High - range.Low) * ContinuousBins), 0, ContinuousBins - 1)).ToArray();
}
