using StbImageSharp;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// A folder of PNG or JPEG images. Sub-folder names are the labels (sorted, so label ids are stable);
/// images directly in the folder are unlabelled. All images get the same channels (grey unless any
/// is in colour) and the same size: their own when they agree, else <c>--image-size</c>.
/// </summary>
public static class ImageFolderSource
{
    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    public static Dataset Load(string directory, int? imageSize)
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
        int channels = infos.Any(info => info.ColorComponents is ColorComponents.RedGreenBlue or ColorComponents.RedGreenBlueAlpha) ? 3 : 1;
        int height, width;
        if (imageSize is int side) (height, width) = (side, side);
        else
        {
            var sizes = infos.Select(info => (info.Height, info.Width)).Distinct().ToArray();
            if (sizes.Length > 1)
                throw new UserInputException(
                    $"'{directory}' mixes image sizes ({sizes[0].Width}×{sizes[0].Height}, {sizes[1].Width}×{sizes[1].Height}, …); pass --image-size N to resize them all");
            (height, width) = sizes[0];
        }

        var pixels = new float[files.Length * channels * height * width];
        try
        {
            Parallel.For(0, files.Length, i =>
            {
                var image = Decode(files[i].path, channels);
                Resample.Bilinear(image.Data, channels, image.Height, image.Width,
                    pixels.AsSpan(i * channels * height * width, channels * height * width), height, width);
            });
        }
        catch (AggregateException error) when (error.InnerExceptions.FirstOrDefault() is UserInputException first)
        {
            throw first;
        }
        var labels = classes.Length > 0 ? files.Select(file => file.label).ToArray() : null;
        return new Dataset(tensor(pixels, [files.Length, channels, height, width]), DataShape.Image(channels, height, width),
            labels, classes.Length > 0 ? classes : null);
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

    static ImageResult Decode(string path, int channels)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return ImageResult.FromStream(stream, channels == 3 ? ColorComponents.RedGreenBlue : ColorComponents.Grey);
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

/// <summary>Image resampling for interleaved 8-bit pixels into planar floats in [0, 1].</summary>
static class Resample
{
    /// <summary>
    /// Bilinear resampling with the source sampled at pixel centres; when shrinking, each output
    /// pixel averages a box of source pixels first so that detail is not aliased.
    /// </summary>
    public static void Bilinear(byte[] source, int channels, int sourceHeight, int sourceWidth,
                                Span<float> target, int height, int width)
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
            target[(c * height + y) * width + x] = (float)(sum / (boxY * boxX) / 255.0);
        }
    }

    static double Sample(byte[] source, int channels, int channel, int height, int width, double y, double x)
    {
        y = Math.Clamp(y, 0, height - 1);
        x = Math.Clamp(x, 0, width - 1);
        int y0 = (int)y, x0 = (int)x, y1 = Math.Min(y0 + 1, height - 1), x1 = Math.Min(x0 + 1, width - 1);
        double fy = y - y0, fx = x - x0;
        double At(int row, int column) => source[(row * width + column) * channels + channel];
        return (1 - fy) * ((1 - fx) * At(y0, x0) + fx * At(y0, x1)) + fy * ((1 - fx) * At(y1, x0) + fx * At(y1, x1));
    }
}
