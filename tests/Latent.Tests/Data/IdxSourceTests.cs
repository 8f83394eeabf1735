using System.IO.Compression;
using Latent.Data;
using Latent.Data.Sources;

namespace Latent.Tests.Data;

public sealed class IdxSourceTests
{
    /// <summary>Writes an IDX file of unsigned bytes with the given dimensions.</summary>
    internal static byte[] Idx(int[] dims, byte[] payload)
    {
        var bytes = new List<byte> { 0, 0, 0x08, (byte)dims.Length };
        foreach (int d in dims) bytes.AddRange(BitConverter.GetBytes(d).Reverse());
        bytes.AddRange(payload);
        return bytes.ToArray();
    }

    internal static void WriteSet(string directory, int trainCount, int testCount, bool gzip, int side = 4)
    {
        void Write(string name, byte[] content)
        {
            if (!gzip) { File.WriteAllBytes(Path.Combine(directory, name), content); return; }
            using var file = File.Create(Path.Combine(directory, name + ".gz"));
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(content);
        }
        foreach (var (prefix, count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var pixels = Enumerable.Range(0, count * side * side).Select(i => (byte)(i * 7 % 256)).ToArray();
            Write($"{prefix}-images-idx3-ubyte", Idx([count, side, side], pixels));
            Write($"{prefix}-labels-idx1-ubyte", Idx([count], Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray()));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_raw_and_gzip_sets_with_pixels_scaled_to_unit_range(bool gzip)
    {
        using var folder = new TempDirectory();
        WriteSet(folder.Path, trainCount: 30, testCount: 10, gzip);
        var (train, test) = IdxSource.Load(folder.Path, labelNames: null);
        Assert.Equal(30, train.Count);
        Assert.Equal(10, test.Count);
        Assert.Equal(DataShape.Image(1, 4, 4), train.Shape);
        Assert.Equal(7f / 255, train.Features[0, 0, 0, 1].item<float>(), 6);
        Assert.Equal(3, train.Labels![13]);
    }

    [Fact]
    public void A_bad_magic_number_is_a_one_line_error_naming_the_file()
    {
        using var folder = new TempDirectory();
        WriteSet(folder.Path, 5, 5, gzip: false);
        File.WriteAllBytes(folder.File("train-images-idx3-ubyte"), [1, 2, 3, 4, 5, 6, 7, 8]);
        var error = Assert.Throws<UserInputException>(() => IdxSource.Load(folder.Path, null));
        Assert.Contains("train-images-idx3-ubyte", error.Message);
        Assert.Contains("magic", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_truncated_file_is_rejected_before_reading_its_data(bool gzip)
    {
        using var folder = new TempDirectory();
        var content = Idx([1000, 28, 28], new byte[100]); // declares 784 000 bytes, holds 100
        if (gzip)
        {
            using var file = File.Create(folder.File("train-images-idx3-ubyte.gz"));
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(content);
        }
        else File.WriteAllBytes(folder.File("train-images-idx3-ubyte"), content);
        var error = Assert.Throws<UserInputException>(() => IdxSource.Read(Directory.GetFiles(folder.Path)[0]));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Labels_that_do_not_match_the_image_count_are_rejected()
    {
        using var folder = new TempDirectory();
        WriteSet(folder.Path, 5, 5, gzip: false);
        File.WriteAllBytes(folder.File("train-labels-idx1-ubyte"), Idx([4], new byte[4]));
        var error = Assert.Throws<UserInputException>(() => IdxSource.Load(folder.Path, null));
        Assert.Contains("4 labels for 5 images", error.Message);
    }

    [Fact]
    public void A_missing_folder_names_the_fix()
    {
        var error = Assert.Throws<UserInputException>(() => IdxSource.Load("/nonexistent/idx", null));
        Assert.Contains("does not exist", error.Message);
    }

    [SkippableFact]
    public void Fashion_mnist_has_sixty_thousand_training_and_ten_thousand_test_images()
    {
        Skip.IfNot(TestData.FashionMnistInstalled, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        var splits = DataCatalog.Load(new DataOptions { Data = "fashion-mnist" }, seed: 1);
        Assert.Equal(58000, splits.Train.Count);
        Assert.Equal(2000, splits.Validation.Count);
        Assert.Equal(10000, splits.Test.Count);
        Assert.Equal(DataShape.Image(1, 28, 28), splits.Shape);
        Assert.Equal(10, splits.Test.ClassCount);
        Assert.Equal("Ankle boot", splits.Test.LabelNames![9]);
        Assert.InRange(splits.Train.Features.mean().item<float>(), 0.27f, 0.30f); // the well-known pixel mean 0.286
    }
}
