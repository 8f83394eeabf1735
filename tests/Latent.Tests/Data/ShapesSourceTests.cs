using Latent.Data.Sources;

namespace Latent.Tests.Data;

public sealed class ShapesSourceTests
{
    [Fact]
    public void The_same_seed_gives_the_same_images_and_factors()
    {
        var first = ShapesSource.Generate(50, seed: 5);
        var second = ShapesSource.Generate(50, seed: 5);
        Assert.True(first.Features.SameAs(second.Features));
        Assert.Equal(first.Labels, second.Labels);
        Assert.Equal(first.Factors!["rotation"], second.Factors!["rotation"]);
    }

    [Fact]
    public void A_smaller_set_is_a_prefix_of_a_larger_one()
    {
        var small = ShapesSource.Generate(10, seed: 5);
        var large = ShapesSource.Generate(100, seed: 5);
        Assert.True(small.Features.SameAs(large.Features.narrow(0, 0, 10)));
        Assert.Equal(small.Labels, large.Labels!.Take(10));
    }

    [Fact]
    public void Images_are_in_unit_range_with_one_shape_of_plausible_area()
    {
        var data = ShapesSource.Generate(200, seed: 3);
        Assert.Equal(new long[] { 200, 1, 32, 32 }, data.Features.shape);
        Assert.True(data.Features.min().item<float>() >= 0 && data.Features.max().item<float>() <= 1);
        var area = data.Features.sum([1, 2, 3]);
        // Radius 4–8 pixels: an area between about 20 and 230 pixels for every shape.
        Assert.True(area.min().item<float>() > 15 && area.max().item<float>() < 260);
    }

    [Fact]
    public void Labels_are_the_shape_factor_and_every_shape_appears()
    {
        var data = ShapesSource.Generate(400, seed: 4);
        Assert.Equal(data.Labels!.Select(l => (float)l), data.Factors!["shape"]);
        Assert.Equal(ShapesSource.ShapeNames.Length, data.Labels!.Distinct().Count());
        Assert.Equal(ShapesSource.FactorNames, data.Factors!.Keys);
    }

    [Fact]
    public void Larger_scale_draws_a_larger_shape()
    {
        var data = ShapesSource.Generate(500, seed: 9);
        var area = data.Features.sum([1, 2, 3]).data<float>().ToArray();
        var scale = data.Factors!["scale"];
        var squares = Enumerable.Range(0, 500).Where(i => data.Labels![i] == 0).ToArray();
        double correlation = Correlation(squares.Select(i => (double)scale[i]).ToArray(), squares.Select(i => (double)area[i]).ToArray());
        Assert.True(correlation > 0.95, $"correlation {correlation}");
    }

    static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum();
        return sxy / Math.Sqrt(x.Sum(a => (a - mx) * (a - mx)) * y.Sum(b => (b - my) * (b - my)));
    }
}
