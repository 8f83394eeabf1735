using Latent.Data;
using Latent.Data.Sources;
using Latent.Reporting;

namespace Latent.Tests.Data;

/// <summary>Images with alpha: composited over a background, or alpha kept as a channel.</summary>
public sealed class ImageTransparencyTests
{
    /// <summary>A 4×4 RGBA icon: a transparent black background, an opaque red pixel at (1, 1), a half-transparent blue one at (2, 2).</summary>
    static string WriteIcon(TempDirectory folder, string name = "icon.png")
    {
        var pixels = new byte[4 * 4 * 4];                           // all (0, 0, 0, 0): transparent black
        void Set(int x, int y, byte r, byte g, byte b, byte a) => new[] { r, g, b, a }.CopyTo(pixels, (y * 4 + x) * 4);
        Set(1, 1, 255, 0, 0, 255);
        Set(2, 2, 0, 0, 255, 128);
        var path = folder.File(name);
        File.WriteAllBytes(path, Png.Encode(pixels, 4, 4, channels: 4));
        return path;
    }

    static float[] Pixel(Dataset data, int x, int y) => data.Features[0, .., y, x].data<float>().ToArray();

    [Fact]
    public void Transparent_pixels_are_composited_over_white_by_default()
    {
        using var folder = new TempDirectory();
        WriteIcon(folder);
        var data = ImageFolderSource.Load(folder.Path, imageSize: null);
        Assert.Equal(DataShape.Image(3, 4, 4), data.Shape);
        Assert.Equal(new[] { 1f, 1f, 1f }, Pixel(data, 0, 0));              // was black before transparency was handled
        Assert.Equal(new[] { 1f, 0f, 0f }, Pixel(data, 1, 1));
        float alpha = 128 / 255f;
        var blue = Pixel(data, 2, 2);                                       // c·α + 1·(1 − α)
        Assert.Equal(1 - alpha, blue[0], 5);
        Assert.Equal(1 - alpha, blue[1], 5);
        Assert.Equal(1f, blue[2], 5);
    }

    [Fact]
    public void A_black_background_composites_over_black()
    {
        using var folder = new TempDirectory();
        WriteIcon(folder);
        var data = ImageFolderSource.Load(folder.Path, imageSize: null, background: Background.Black);
        Assert.Equal(new[] { 0f, 0f, 0f }, Pixel(data, 0, 0));
        Assert.Equal(128 / 255f, Pixel(data, 2, 2)[2], 5);
    }

    [Fact]
    public void Keeping_alpha_adds_it_as_the_last_channel_with_the_colour_premultiplied()
    {
        using var folder = new TempDirectory();
        WriteIcon(folder);
        var data = ImageFolderSource.Load(folder.Path, imageSize: null, alpha: AlphaHandling.Keep);
        Assert.Equal(DataShape.Image(4, 4, 4), data.Shape);
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, Pixel(data, 0, 0));
        Assert.Equal(new[] { 1f, 0f, 0f, 1f }, Pixel(data, 1, 1));
        var blue = Pixel(data, 2, 2);
        Assert.Equal(128 / 255f, blue[2], 5);
        Assert.Equal(128 / 255f, blue[3], 5);
    }

    [Fact]
    public void Grey_images_with_alpha_stay_grey_and_are_composited_too()
    {
        using var folder = new TempDirectory();
        // grey + alpha: a transparent 0 background and one opaque mid-grey pixel
        var pixels = new byte[3 * 3 * 2];
        pixels[(1 * 3 + 1) * 2] = 100;
        pixels[(1 * 3 + 1) * 2 + 1] = 255;
        File.WriteAllBytes(folder.File("grey.png"), Png.Encode(pixels, 3, 3, channels: 2));
        var data = ImageFolderSource.Load(folder.Path, imageSize: null);
        Assert.Equal(DataShape.Image(1, 3, 3), data.Shape);
        Assert.Equal(1f, Pixel(data, 0, 0)[0]);
        Assert.Equal(100 / 255f, Pixel(data, 1, 1)[0], 6);
        var kept = ImageFolderSource.Load(folder.Path, imageSize: null, alpha: AlphaHandling.Keep);
        Assert.Equal(DataShape.Image(2, 3, 3), kept.Shape);
    }

    [Fact]
    public void Opaque_images_decode_exactly_as_they_did_before()
    {
        using var folder = new TempDirectory();
        var rgb = Enumerable.Range(0, 5 * 5 * 3).Select(i => (byte)(i * 7 % 256)).ToArray();
        File.WriteAllBytes(folder.File("opaque.png"), Png.Encode(rgb, 5, 5, channels: 3));
        foreach (var background in new[] { Background.White, Background.Black })
        {
            var data = ImageFolderSource.Load(folder.Path, imageSize: null, background: background);
            // planar [3, 5, 5]: channel c of pixel p is byte p·3 + c over 255, whatever the background
            var expected = Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, 25).Select(p => (float)(rgb[p * 3 + c] / 255.0))).ToArray();
            Assert.Equal(expected, data.Features[0].flatten().data<float>().ToArray());
        }
    }

    [Fact]
    public void Resizing_averages_the_composited_image_not_the_hidden_colours()
    {
        using var folder = new TempDirectory();
        // 2×2: one opaque white pixel and three transparent pixels whose stored colour is red.
        var pixels = new byte[] { 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0 };
        File.WriteAllBytes(folder.File("a.png"), Png.Encode(pixels, 2, 2, channels: 4));
        var data = ImageFolderSource.Load(folder.Path, imageSize: 1, background: Background.Black);
        Assert.Equal(new[] { 0.25f, 0.25f, 0.25f }, Pixel(data, 0, 0));     // no red leaks in
    }

    [Fact]
    public void The_manifest_records_how_transparency_was_handled()
    {
        var composite = DataCatalog.Resolve(new DataOptions { Data = "images:/some/folder" });
        Assert.Equal((AlphaHandling.Composite, Background.White), (composite.Alpha, composite.Background));
        var black = DataCatalog.Resolve(new DataOptions { Data = "images:/some/folder", Background = Background.Black });
        Assert.Equal(Background.Black, black.Background);
        var keep = DataCatalog.Resolve(new DataOptions { Data = "images:/some/folder", Alpha = AlphaHandling.Keep });
        Assert.Equal((AlphaHandling.Keep, (Background?)null), (keep.Alpha, keep.Background));
        var error = Assert.Throws<UserInputException>(() => new DataOptions { Data = "images:x", Alpha = AlphaHandling.Keep, Background = Background.White }.Validate());
        Assert.Contains("Background does not apply with Alpha keep", error.Message);
    }

    [Fact]
    public void Kept_alpha_draws_as_a_png_with_transparency()
    {
        using var folder = new TempDirectory();
        WriteIcon(folder);
        var data = ImageFolderSource.Load(folder.Path, imageSize: null, alpha: AlphaHandling.Keep);
        var (pixels, width, height, channels) = ImageGrid.Compose(data.Features, columns: 1, padding: 0);
        Assert.Equal((4, 4, 4), (width, height, channels));
        Assert.Equal(new byte[] { 255, 0, 0, 255 }, pixels.AsSpan((1 * 4 + 1) * 4, 4).ToArray());
        Assert.Equal(new byte[] { 0, 0, 255, 128 }, pixels.AsSpan((2 * 4 + 2) * 4, 4).ToArray()); // unpremultiplied again
        Assert.Equal(0, pixels[3]);                                                                // transparent background
    }

    const string IconTheme = "/usr/share/icons/Adwaita/48x48";

    /// <summary>
    /// Adwaita's symbolic icons are dark glyphs on a transparent background. Read without their alpha
    /// (as the reader did before) or composited over black, they are black squares; over white they
    /// are the glyphs.
    /// </summary>
    [SkippableFact]
    public void Symbolic_icons_of_the_system_theme_are_glyphs_on_white_not_black_squares()
    {
        Skip.IfNot(Directory.Exists(IconTheme), $"needs {IconTheme}: apt-get install adwaita-icon-theme");
        using var folder = new TempDirectory();
        var icons = Directory.EnumerateFiles(IconTheme, "*-symbolic.symbolic.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(100).ToArray();
        Skip.If(icons.Length < 20, $"{IconTheme} has only {icons.Length} symbolic PNG icons");
        foreach (var (icon, i) in icons.Select((icon, i) => (icon, i))) File.Copy(icon, folder.File($"{i:D3}.png"));

        static int DarkSquares(Dataset data) => (int)data.Features.amax([1, 2, 3]).lt(0.25f).sum().item<long>();
        var white = ImageFolderSource.Load(folder.Path, imageSize: null);
        var black = ImageFolderSource.Load(folder.Path, imageSize: null, background: Background.Black);
        Assert.Equal(0, DarkSquares(white));
        Assert.True(DarkSquares(black) > icons.Length / 2, $"{DarkSquares(black)} of {icons.Length} dark over black");
        // Over white, every icon still shows its glyph: some pixels well below white.
        Assert.True(white.Features.amin([1, 2, 3]).lt(0.6f).all().item<bool>());
    }
}
