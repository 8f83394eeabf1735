using System.Numerics;
using StbImageSharp;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// A folder of PNG or JPEG images. Sub-folder names are the labels (sorted, so label ids are stable);
/// images directly in the folder are unlabelled. All images get the same channels (grey unless any
/// is in colour) and the same size: their own when they agree, else <c>--image-size</c>.
/// <para>
/// Transparency (an alpha channel, or a PNG's transparent palette entries or colour key) is
/// composited over a background, c·α + b·(1 − α), white unless <c>--background black</c>, before
/// resizing; with <c>--alpha keep</c> it becomes one more channel after grey or RGB instead, with the
/// colour premultiplied by alpha (c·α: composited over black, which resizes correctly; composite over
/// any b as c·α + b·(1 − α)). Opaque images decode exactly as before either way.
/// </para>
/// </summary>
public static class ImageFolderSource
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// The folder's images, held in memory or, when <paramref name="storage"/> says so (by default when they
    /// would take more than <see cref="StorageChoice.MemoryLimitBytes"/>), decoded batch by batch from their files.
    /// </summary>
    /// <param name="directory">The folder (a sub-folder per class gives labels) of PNG or JPEG images.</param>
    /// <param name="imageSize">A side length every image is resized to, or null to keep their (common) size.</param>
    /// <param name="alpha">What transparency becomes.</param>
    /// <param name="background">The colour transparent pixels are composited over.</param>
    /// <param name="storage">Whether the images are held in memory or decoded batch by batch.</param>
    public static Dataset Load(string directory, int? imageSize, AlphaHandling alpha = AlphaHandling.Composite, Background background = Background.White,
                               DataStorage storage = DataStorage.Memory)
    {
        UserPaths.RequireDirectory(directory, "image folder", "pass images:DIR with a folder of PNG or JPEG files");

        var classes = Directory.GetDirectories(directory).Select(Path.GetFileName).OfType<string>()
            .Where(name => ImageFiles(Path.Combine(directory, name)).Any()).Order(StringComparer.Ordinal).ToArray();
        var files = classes.Length > 0
            ? classes.SelectMany((name, label) => ImageFiles(Path.Combine(directory, name)).Select(path => (path, label))).ToArray()
            : ImageFiles(directory).Select(path => (path, label: -1)).ToArray();
        if (files.Length == 0)
            throw new UserInputException($"'{directory}' holds no .png or .jpg images; pass images:DIR with image files or one sub-folder of them per label");

        // Headers first: decide channels and size before decoding anything.
        var infos = files.Select(file => Info(file.path)).ToArray();
        bool colour = infos.Any(info => info.ColorComponents is ColorComponents.RedGreenBlue or ColorComponents.RedGreenBlueAlpha);
        var layout = new PixelLayout(colour ? 3 : 1, alpha == AlphaHandling.Keep, background == Background.White ? 1f : 0f);
        int channels = layout.Channels;
        int height, width;
        if (imageSize is int side) (height, width) = (side, side);
        else
        {
            var sizes = infos.Select(info => (info.Height, info.Width)).Distinct().ToArray();
            if (sizes.Length > 1)
                throw new UserInputException(
                    $"'{directory}' mixes image sizes ({sizes[0].Width}×{sizes[0].Height}, {sizes[1].Width}×{sizes[1].Height}, …); pass {nameof(DataOptions.ImageSize)} N to resize them all", nameof(DataOptions.ImageSize));
            (height, width) = sizes[0];
        }

        var labels = classes.Length > 0 ? files.Select(file => file.label).ToArray() : null;
        var shape = DataShape.Image(channels, height, width);
        var store = new DecodedImages(files.Select(file => file.path).ToArray(), layout, height, width);
        return StorageChoice.Streams(storage, files.Length, shape)
            ? new Dataset(store, shape, labels, classes.Length > 0 ? classes : null)
            : new Dataset(store.Gather(Enumerable.Range(0, files.Length).ToArray()), shape, labels, classes.Length > 0 ? classes : null);
    }

    /// <summary>
    /// Decodes one file into planar floats [C, H, W] in [0, 1], resized to <paramref name="height"/> ×
    /// <paramref name="width"/>: what the folder's images all become, one at a time (a streaming reader
    /// can call it per example).
    /// </summary>
    public static void DecodeInto(string path, PixelLayout layout, Span<float> target, int height, int width)
    {
        var image = Decode(path, layout.ColourChannels);
        int stride = layout.ColourChannels + 1, count = image.Width * image.Height;
        var data = image.Data;
        bool opaque = true;
        for (int p = 0; p < count && opaque; p++) opaque = data[p * stride + stride - 1] == 255;
        if (opaque && !layout.KeepAlpha)
        {
            // As before transparency was handled: the colour bytes alone, resampled from bytes.
            var colour = new byte[count * layout.ColourChannels];
            for (int p = 0; p < count; p++)
                for (int c = 0; c < layout.ColourChannels; c++) colour[p * layout.ColourChannels + c] = data[p * stride + c];
            Resample.Bilinear(colour, layout.ColourChannels, image.Height, image.Width, target, height, width, unit: 255);
            return;
        }
        // c·α composited over b (or kept premultiplied, with α after it), interleaved floats in [0, 1].
        var values = new float[count * layout.Channels];
        for (int p = 0; p < count; p++)
        {
            float opacity = data[p * stride + stride - 1] / 255f;
            for (int c = 0; c < layout.ColourChannels; c++)
            {
                float premultiplied = data[p * stride + c] / 255f * opacity;
                values[p * layout.Channels + c] = layout.KeepAlpha ? premultiplied : premultiplied + layout.Background * (1 - opacity);
            }
            if (layout.KeepAlpha) values[p * layout.Channels + layout.ColourChannels] = opacity;
        }
        Resample.Bilinear(values, layout.Channels, image.Height, image.Width, target, height, width, unit: 1);
    }

    static IEnumerable<string> ImageFiles(string directory) =>
        Directory.EnumerateFiles(directory).Where(path => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant()))
                 .Order(StringComparer.Ordinal);

    static ImageInfo Info(string path)
    {
        ImageInfo? info;
        try
        {
            using var stream = File.OpenRead(path);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, "check the file, or remove it from the folder");
        }
        catch (Exception error) when (error is not UserInputException)
        {
            info = null;
        }
        return info is { Width: > 0 and <= 1 << 14, Height: > 0 and <= 1 << 14 } valid
            ? valid
            : throw new UserInputException($"'{path}' is not a readable PNG or JPEG image (or is larger than 16384 pixels a side); remove or replace it");
    }

    /// <summary>
    /// Always with alpha (grey + α or RGBA): stb_image then also turns a PNG's transparent palette
    /// entries and colour key into alpha, which a header does not reveal.
    /// </summary>
    static ImageResult Decode(string path, int colourChannels)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ImageResult.FromStream(stream, colourChannels == 3 ? ColorComponents.RedGreenBlueAlpha : ColorComponents.GreyAlpha);
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, "check the file, or remove it from the folder");
        }
        catch (Exception error) when (error is not UserInputException)
        {
            // The decoder's messages can carry bytes of the file; keep them printable and short.
            var reason = new string(error.Message.Where(c => c >= ' ' && c < 127).Take(80).ToArray()).Trim();
            throw new UserInputException($"'{path}' cannot be decoded ({(reason.Length > 0 ? reason : error.GetType().Name)}); remove or replace it");
        }
    }
}

/// <summary>How decoded pixels are laid out: grey or RGB, then alpha when it is kept.</summary>
/// <param name="ColourChannels">1 (grey) or 3 (RGB).</param>
/// <param name="KeepAlpha">Whether alpha is one more channel (colour premultiplied); else it is composited away.</param>
/// <param name="Background">The grey level transparent pixels are composited over: 1 white, 0 black.</param>
public sealed record PixelLayout(int ColourChannels, bool KeepAlpha, float Background)
{
    /// <summary>Channels of the images: the colour channels, and alpha when kept.</summary>
    public int Channels => ColourChannels + (KeepAlpha ? 1 : 0);
}

/// <summary>Image resampling for interleaved pixels into planar floats in [0, 1].</summary>
static class Resample
{
    /// <summary>
    /// Bilinear resampling with the source sampled at pixel centres; when shrinking, each output
    /// pixel averages a box of source pixels first so that detail is not aliased. Source values are
    /// divided by <paramref name="unit"/> (255 for bytes, 1 for floats already in [0, 1]).
    /// </summary>
    public static void Bilinear<T>(T[] source, int channels, int sourceHeight, int sourceWidth,
                                   Span<float> target, int height, int width, double unit) where T : unmanaged, INumberBase<T>
    {
        double scaleY = (double)sourceHeight / height, scaleX = (double)sourceWidth / width;
        int boxY = Math.Max(1, (int)Math.Floor(scaleY)), boxX = Math.Max(1, (int)Math.Floor(scaleX));
        for (int c = 0; c < channels; c++)
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            double sum = 0;
            for (int by = 0; by < boxY; by++)
            for (int bx = 0; bx < boxX; bx++)
            {
                double sy = (y + (by + 0.5) / boxY) * scaleY - 0.5, sx = (x + (bx + 0.5) / boxX) * scaleX - 0.5;
                sum += Sample(source, channels, c, sourceHeight, sourceWidth, sy, sx);
            }
            target[(c * height + y) * width + x] = (float)(sum / (boxY * boxX) / unit);
        }
    }

    static double Sample<T>(T[] source, int channels, int channel, int height, int width, double y, double x) where T : unmanaged, INumberBase<T>
    {
        y = Math.Clamp(y, 0, height - 1);
        x = Math.Clamp(x, 0, width - 1);
        int y0 = (int)y, x0 = (int)x, y1 = Math.Min(y0 + 1, height - 1), x1 = Math.Min(x0 + 1, width - 1);
        double fy = y - y0, fx = x - x0;
        double At(int row, int column) => double.CreateTruncating(source[(row * width + column) * channels + channel]);
        return (1 - fy) * ((1 - fx) * At(y0, x0) + fx * At(y0, x1)) + fy * ((1 - fx) * At(y1, x0) + fx * At(y1, x1));
    }
}
