using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>Tiles images [N, C, H, W] with values in [0, 1] into one picture, row by row.</summary>
public static class ImageGrid
{
    /// <summary>A near-square grid, ⌈√N⌉ images a row, each drawn twice its size: how samples and decoded codes are shown.</summary>
    public static void SaveSquare(string path, Tensor images) =>
        Save(path, images, columns: (int)Math.Ceiling(Math.Sqrt(images.shape[0])), scale: 2);

    /// <summary>
    /// Saves the grid as a PNG: grey when C = 1, RGB when C = 3; with alpha when C = 2 or 4 (images
    /// whose transparency was kept, colour premultiplied by alpha: unpremultiplied for the PNG).
    /// </summary>

    public static void Save(string path, Tensor images, int columns, int padding = 2, int scale = 1)
    {
        var (pixels, width, height, channels) = Compose(images, columns, padding, scale);
        Png.Save(path, pixels, width, height, channels);
    }

    /// <summary>Tiles images [N, C, H, W] in [0, 1] into one picture of C channels, <paramref name="columns"/> to a row with <paramref name="padding"/> pixels between them, each enlarged <paramref name="scale"/> times; returns its bytes (row-major RGB) and size.</summary>
    public static (byte[] Pixels, int Width, int Height, int Channels) Compose(Tensor images, int columns, int padding = 2, int scale = 1)
    {
        if (images.dim() != 4) throw new ArgumentException($"expected images [N, C, H, W], got [{string.Join(", ", images.shape)}]");
        int count = (int)images.shape[0], channels = (int)images.shape[1];
        int tileHeight = (int)images.shape[2] * scale, tileWidth = (int)images.shape[3] * scale;
        columns = Math.Max(1, Math.Min(columns, count));
        int rows = (count + columns - 1) / columns;
        int width = columns * (tileWidth + padding) + padding, height = rows * (tileHeight + padding) + padding;

        // [N, C, H, W] in [0, 1] -> bytes [N, H, W, C]
        using var scope = NewDisposeScope();
        var values = images.detach().cpu().clamp(0, 1);
        bool alpha = channels is 2 or 4;
        if (alpha)
        {
            // premultiplied c·α -> c, where α > 0
            var opacity = values.narrow(1, channels - 1, 1);
            var colour = values.narrow(1, 0, channels - 1) / opacity.clamp_min(1e-6f);
            values = cat([colour.clamp(0, 1), opacity], 1);
        }
        var bytes = values.mul(255).round().to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        var source = bytes.data<byte>().ToArray();
        var pixels = new byte[width * height * channels];
        Array.Fill(pixels, (byte)64); // dark grey gutters
        if (alpha) for (int i = channels - 1; i < pixels.Length; i += channels) pixels[i] = 255; // opaque ones
        int sourceHeight = (int)images.shape[2], sourceWidth = (int)images.shape[3];
        for (int n = 0; n < count; n++)
        {
            int top = padding + n / columns * (tileHeight + padding), left = padding + n % columns * (tileWidth + padding);
            for (int y = 0; y < tileHeight; y++)
            for (int x = 0; x < tileWidth; x++)
            for (int c = 0; c < channels; c++)
                pixels[((top + y) * width + left + x) * channels + c] =
                    source[((n * sourceHeight + y / scale) * sourceWidth + x / scale) * channels + c];
        }
        return (pixels, width, height, channels);
    }

    /// <summary>Interleaves originals and reconstructions: a row of originals, then the row of their reconstructions.</summary>
    public static Tensor Pairs(Tensor originals, Tensor reconstructions, int columns)
    {
        var rows = new List<Tensor>();
        for (long start = 0; start < originals.shape[0]; start += columns)
        {
            long length = Math.Min(columns, originals.shape[0] - start);
            rows.Add(originals.narrow(0, start, length));
            rows.Add(reconstructions.narrow(0, start, length));
        }
        return cat(rows, 0);
    }
}
