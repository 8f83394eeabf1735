using System.Security.Cryptography;
using Latent.Data;
using Latent.Data.Sources;
using static TorchSharp.torch;

namespace Latent.Tests.Data;

/// <summary><c>shapes:SIZE[:rgb]</c>, <c>--examples</c>, and the renderer that draws one image at a time.</summary>
public sealed class ShapesSizesTests
{
    /// <summary>
    /// The renderer as it was first written: all 16 samples of every pixel, no bounds. The renderer
    /// skips pixels its bounding circles decide; it must agree with this bit for bit.
    /// </summary>
    static float[] RenderEverySample(ShapesSpec spec, ShapeFactors f)
    {
        int size = spec.Size, plane = size * size;
        var image = new float[spec.PixelCount];
        double radius = f.Scale * 0.25 * size, cos = Math.Cos(f.Rotation), sin = Math.Sin(f.Rotation);
        float centreX = f.X * size, centreY = f.Y * size;
        var colour = spec.Colour ? ShapesSource.HueToRgb(f.Hue) : (Red: 1f, Green: 1f, Blue: 1f);
        for (int row = 0; row < size; row++)
        for (int column = 0; column < size; column++)
        {
            int inside = 0;
            for (int sy = 0; sy < 4; sy++)
            for (int sx = 0; sx < 4; sx++)
            {
                double dx = column + (sx + 0.5) / 4 - centreX, dy = row + (sy + 0.5) / 4 - centreY;
                if (ShapesSource.Contains(f.Shape, (cos * dx + sin * dy) / radius, (-sin * dx + cos * dy) / radius)) inside++;
            }
            float coverage = inside / 16f;
            if (!spec.Colour) image[row * size + column] = coverage;
            else
            {
                image[row * size + column] = coverage * colour.Red;
                image[plane + row * size + column] = coverage * colour.Green;
                image[2 * plane + row * size + column] = coverage * colour.Blue;
            }
        }
        return image;
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(28, false)]
    [InlineData(32, false)]
    [InlineData(50, true)]
    [InlineData(64, true)]
    public void The_renderer_agrees_bit_for_bit_with_sampling_every_pixel(int size, bool colour)
    {
        var spec = new ShapesSpec(size, colour);
        var image = new float[spec.PixelCount];
        for (int i = 0; i < 300; i++)
        {
            var factors = ShapesSource.Draw(seed: 21, i, colour);
            ShapesSource.Render(spec, factors, image);
            Assert.True(image.AsSpan().SequenceEqual(RenderEverySample(spec, factors)), $"image {i} ({ShapesSource.ShapeNames[factors.Shape]}) differs");
        }
    }

    [Fact]
    public void The_default_set_is_bit_identical_to_the_one_earlier_runs_used()
    {
        // SHA-256 of the 2000 test images as the first renderer drew them (before sizes and colour).
        var test = ShapesSource.Load().Test;
        var hash = Convert.ToHexString(SHA256.HashData(test.Features.contiguous().bytes))[..16];
        Assert.Equal("700259D4D48C0A99", hash);
        Assert.Equal(DataShape.Image(1, 32, 32), test.Shape);
    }

    [Fact]
    public void One_example_rendered_alone_equals_its_row_of_the_generated_set()
    {
        var spec = new ShapesSpec(40, true);
        var data = ShapesSource.Generate(spec, 30, seed: 7);
        var image = new float[spec.PixelCount];
        foreach (int i in new[] { 0, 17, 29 })
        {
            ShapesSource.Render(spec, ShapesSource.Draw(7, i, colour: true), image);
            Assert.True(tensor(image, [3, 40, 40]).SameAs(data.Features[i]));
            Assert.Equal(ShapesSource.Draw(7, i, colour: true).Hue, data.Factors!["hue"][i]);
        }
    }

    [Fact]
    public void Colour_images_show_the_grey_sets_shapes_in_the_colour_of_their_hue()
    {
        var grey = ShapesSource.Generate(new ShapesSpec(32, false), 200, seed: 3);
        var colour = ShapesSource.Generate(new ShapesSpec(32, true), 200, seed: 3);
        Assert.Equal(ShapesSource.ColourFactorNames, colour.Factors!.Keys);
        foreach (var name in ShapesSource.FactorNames) Assert.Equal(grey.Factors![name], colour.Factors[name]);
        var hue = colour.Factors["hue"];
        Assert.All(hue, h => Assert.InRange(h, 0f, 1f));
        Assert.True(hue.Min() < 0.1 && hue.Max() > 0.9, "hues cover the circle");

        // The brightest channel of every pixel is the grey coverage (HSV with V = 1), and a fully
        // covered pixel has exactly the hue's colour.
        Assert.True(colour.Features.amax([1]).allclose(grey.Features.squeeze(1), atol: 1e-6));
        for (int i = 0; i < 200; i += 37)
        {
            var full = grey.Features[i, 0].eq(1).nonzero()[0].data<long>().ToArray();      // one fully covered pixel
            var (red, green, blue) = ShapesSource.HueToRgb(hue[i]);
            var pixel = colour.Features[i, .., full[0], full[1]].data<float>().ToArray();
            Assert.Equal(new[] { red, green, blue }, pixel);
        }
    }

    [Fact]
    public void A_larger_size_draws_the_same_shapes_at_a_finer_resolution()
    {
        var small = ShapesSource.Generate(new ShapesSpec(32, false), 100, seed: 5);
        var large = ShapesSource.Generate(new ShapesSpec(64, false), 100, seed: 5);
        // [N, 1, 64, 64] averaged over 2×2 blocks -> [N, 1, 32, 32]: the same picture up to anti-aliasing.
        var pooled = nn.functional.avg_pool2d(large.Features, 2);
        double error = (pooled - small.Features).abs().mean().item<float>();
        Assert.True(error < 0.01, $"mean absolute difference {error}");
    }

    [Theory]
    [InlineData("", 32, false)]
    [InlineData("64", 64, false)]
    [InlineData("64:rgb", 64, true)]
    [InlineData("rgb:50", 50, true)]
    [InlineData("28:grey", 28, false)]
    public void Specs_name_a_size_and_a_colour(string argument, int size, bool colour)
    {
        var spec = ShapesSpec.Parse(argument);
        Assert.Equal(new ShapesSpec(size, colour), spec);
        Assert.Equal(spec, ShapesSpec.Parse(spec.ToString() == "shapes" ? "" : spec.ToString()["shapes:".Length..]));
    }

    [Theory]
    [InlineData("shapes:4", "side length")]
    [InlineData("shapes:64:blue", "rgb/grey")]
    [InlineData("shapes:-3", "side length")]
    public void Bad_shape_specs_are_one_line_errors(string data, string expected)
    {
        var error = Assert.Throws<UserInputException>(() => DataCatalog.Load(new DataOptions { Data = data }, seed: 1));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Examples_sets_the_training_count_and_leaves_the_test_split_alone()
    {
        var splits = DataCatalog.Load(new DataOptions { Data = "shapes:16:rgb", Examples = 300, ValidationFraction = 0.1 }, seed: 1);
        Assert.Equal(270, splits.Train.Count);
        Assert.Equal(30, splits.Validation.Count);
        Assert.Equal(ShapesSource.TestCount, splits.Test.Count);
        Assert.Equal(DataShape.Image(3, 16, 16), splits.Shape);
    }

    [Theory]
    [InlineData("csv:/tmp/x.csv", "Examples")]
    [InlineData("fashion-mnist", "Examples")]
    public void Examples_is_refused_for_sources_other_than_shapes(string data, string option)
    {
        var error = Assert.Throws<UserInputException>(() => DataCatalog.Load(new DataOptions { Data = data, Examples = 10 }, seed: 1));
        Assert.Contains(option, error.Options);
        Assert.Contains($"Examples does not apply to Data {data}; drop it", error.Message);   // DataOptions.Uses
    }

    [Fact]
    public void Alpha_and_background_are_refused_for_shapes()
    {
        var error = Assert.Throws<UserInputException>(() => DataCatalog.Load(new DataOptions { Data = "shapes", Background = Background.Black }, seed: 1));
        Assert.Contains("Background does not apply to Data shapes; drop it", error.Message);
    }
}
