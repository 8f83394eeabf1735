using Latent.Nn;
using System.Text;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Tests.Runs;

public sealed class SafeTensorsTests
{
    [Fact]
    public void Tensors_and_metadata_round_trip_exactly()
    {
        using var folder = new TempDirectory();
        var path = folder.File("t.safetensors");
        manual_seed(1);
        using var weight = randn(3, 4);
        using var index = tensor(new long[] { 5, -7 });
        using var scalar = tensor(2.5f);
        SafeTensors.Save(path, [("w", weight), ("i", index), ("s", scalar)], new Dictionary<string, string> { ["note"] = "hi" });
        var (tensors, metadata) = SafeTensors.Load(path);
        Assert.True(tensors["w"].SameAs(weight));
        Assert.True(tensors["i"].SameAs(index));
        Assert.Equal(0, tensors["s"].dim());
        Assert.Equal("hi", metadata["note"]);
    }

    [Fact]
    public void The_header_follows_the_format_and_keeps_data_aligned()
    {
        using var folder = new TempDirectory();
        var path = folder.File("t.safetensors");
        using var ones3 = ones(3);
        SafeTensors.Save(path, [("b", ones3)]);
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, (8 + headerLength) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd();
        Assert.Equal("{\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", header);
        Assert.Equal(8 + headerLength + 12, bytes.Length);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 255, 255, 255, 255, 255, 255, 255, 127, 0 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x' })]
    public void Malformed_files_are_user_errors(byte[] content)
    {
        using var folder = new TempDirectory();
        File.WriteAllBytes(folder.File("bad.safetensors"), content);
        var error = Assert.Throws<UserInputException>(() => SafeTensors.Load(folder.File("bad.safetensors")));
        Assert.Contains("bad.safetensors", error.Message);
    }

    [Fact]
    public void A_tensor_declared_beyond_the_data_is_rejected_before_allocation()
    {
        using var folder = new TempDirectory();
        var header = Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000000,1000],\"data_offsets\":[0,4000000000000]}}");
        File.WriteAllBytes(folder.File("huge.safetensors"), [.. BitConverter.GetBytes((long)header.Length), .. header, 0, 0, 0, 0]);
        var error = Assert.Throws<UserInputException>(() => SafeTensors.Load(folder.File("huge.safetensors")));
        Assert.Contains("outside its data", error.Message);
    }
}
