using Latent.Reporting;
using StbImageSharp;

namespace Latent.Tests.Reporting;

public sealed class PngTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Encoded_images_decode_to_the_same_pixels(int channels)
    {
        var pixels = Enumerable.Range(0, 7 * 5 * channels).Select(i => (byte)(i * 13)).ToArray();
        var decoded = ImageResult.FromMemory(Png.Encode(pixels, 7, 5, channels), channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        Assert.Equal((7, 5), (decoded.Width, decoded.Height));
        Assert.Equal(pixels, decoded.Data);
    }
}
