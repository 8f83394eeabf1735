using Latent.Data.Sources;
using Latent.Evaluation.Disentanglement;

namespace Latent.Tests.Evaluation.Disentanglement;

/// <summary>How the factors of shapes become classes, and the rotational symmetry that rule relies on.</summary>
public sealed class GroundTruthFactorsTests
{
    static float[] Render(int shape, double rotation)
    {
        var image = new float[ShapesSource.Size * ShapesSource.Size];
        ShapesSource.Render(ShapesSpec.Default, new ShapeFactors(shape, 0.9f, (float)rotation, 0.5f, 0.5f, 0), image);
        return image;
    }

    static double Difference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_shape_turned_by_its_symmetry_period_is_the_same_picture_and_the_same_rotation_class(int shape)
    {
        int symmetry = ShapesSource.RotationalSymmetry[shape];
        double angle = 0.7, period = 2 * Math.PI / symmetry;
        Assert.True(Difference(Render(shape, angle), Render(shape, angle + period)) < 1e-6);
        // Half a period is a visibly different picture (a shape with less symmetry than claimed would match itself here).
        Assert.True(Difference(Render(shape, angle), Render(shape, angle + period / 2)) > 0.2);
        Assert.Equal(GroundTruthFactors.RotationPhase((float)angle, symmetry), GroundTruthFactors.RotationPhase((float)(angle + period), symmetry), 5);
    }

    [Fact]
    public void The_factors_of_shapes_become_the_shape_and_ten_bins_of_each_continuous_factor()
    {
        var data = ShapesSource.Generate(2000, seed: 2);
        var factors = GroundTruthFactors.Discretise(data);
        Assert.Equal(["shape", "scale", "rotation", "x", "y"], factors.Select(f => f.Name));
        Assert.Equal(data.Labels, factors[0].Classes);
        foreach (var factor in factors.Skip(1))
        {
            Assert.Equal(10, factor.ClassCount);
            // Uniform draws fill every bin about equally.
            var counts = Enumerable.Range(0, 10).Select(bin => factor.Classes.Count(c => c == bin)).ToArray();
            Assert.True(counts.Min() > 140 && counts.Max() < 260, $"{factor.Name}: {string.Join(", ", counts)}");
        }
        // Scale 0.5 … 1.0 in tenths of the range: 0.74 is in bin 4.
        int i = Array.FindIndex(data.Factors!["scale"], v => v is > 0.741f and < 0.749f);
        Assert.Equal(4, factors[1].Classes[i]);
    }

    [Fact]
    public void Data_without_factors_is_a_user_error()
    {
        var data = new Latent.Data.Dataset(TorchSharp.torch.zeros(4, 3), Latent.Data.DataShape.Table(3));
        var error = Assert.Throws<UserInputException>(() => GroundTruthFactors.Discretise(data));
        Assert.Contains("evaluate a run trained on Data shapes", error.Message);
    }
}
