using Latent.Reporting;
using static TorchSharp.torch;

namespace Latent.Explorer;

/// <summary>Images [N, C, H, W] in [0, 1] as the PNG bytes the page shows.</summary>
public static class PngImages
{
    /// <summary>One image [C, H, W] (or [1, C, H, W]) at its own size, no border.</summary>
    public static byte[] Single(Tensor image)
    {
        var batch = image.dim() == 3 ? image.unsqueeze(0) : image;
        var (pixels, width, height, channels) = ImageGrid.Compose(batch, columns: 1, padding: 0);
        return Png.Encode(pixels, width, height, channels);
    }

    /// <summary>A row of images [N, C, H, W], one pixel apart.</summary>
    public static byte[] Strip(Tensor images) => Grid(images, (int)images.shape[0]);

    /// <summary>Images [N, C, H, W] tiled <paramref name="columns"/> a row, one pixel apart.</summary>
    public static byte[] Grid(Tensor images, int columns)
    {
        var (pixels, width, height, channels) = ImageGrid.Compose(images, columns, padding: 1);
        return Png.Encode(pixels, width, height, channels);
    }
}
