using Latent.Data;
using Latent.Data.Sources;
using Latent.Reporting;

namespace Latent.Tests.Data;

public sealed class ImageFolderSourceTests
{
    static void WriteGrey(string path, int width, int height, byte value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Png.Encode(Enumerable.Repeat(value, width * height).ToArray(), width, height, 1));
    }

    [Fact]
    public void Sub_folders_are_labels_in_sorted_order()
    {
        using var folder = new TempDirectory();
        WriteGrey(Path.Combine(folder.Path, "b", "1.png"), 8, 8, 255);
        WriteGrey(Path.Combine(folder.Path, "a", "1.png"), 8, 8, 0);
        WriteGrey(Path.Combine(folder.Path, "a", "2.png"), 8, 8, 51);
        var data = ImageFolderSource.Load(folder.Path, imageSize: null);
        Assert.Equal(DataShape.Image(1, 8, 8), data.Shape);
        Assert.Equal(new[] { "a", "b" }, data.LabelNames);
        Assert.Equal(new[] { 0, 0, 1 }, data.Labels);
        Assert.Equal(0.2f, data.Features[1].mean().item<float>(), 5);
    }

    [Fact]
    public void Mixed_sizes_need_image_size_and_are_then_resized()
    {
        using var folder = new TempDirectory();
        WriteGrey(folder.File("small.png"), 8, 8, 100);
        WriteGrey(folder.File("large.png"), 16, 12, 200);
        var error = Assert.Throws<UserInputException>(() => ImageFolderSource.Load(folder.Path, imageSize: null));
        Assert.Contains("pass ImageSize N", error.Message);

        var data = ImageFolderSource.Load(folder.Path, imageSize: 4);
        Assert.Equal(DataShape.Image(1, 4, 4), data.Shape);
        Assert.Equal(200f / 255, data.Features[0].mean().item<float>(), 4); // "large.png" sorts first; a flat image stays flat
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_named()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("broken.png"), "not a png");
        var error = Assert.Throws<UserInputException>(() => ImageFolderSource.Load(folder.Path, imageSize: null));
        Assert.Contains("broken.png", error.Message);
    }
}
