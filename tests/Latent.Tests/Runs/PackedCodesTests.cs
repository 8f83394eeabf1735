using Latent.Runs;
using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Runs;

public sealed class PackedCodesTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(512, 9)]
    [InlineData(513, 10)]
    [InlineData(8192, 13)]
    [InlineData(65536, 16)]
    public void A_code_takes_the_ceiling_of_log2_K_bits(int codebookSize, int bits) =>
        Assert.Equal(bits, PackedCodes.BitsPerCode(codebookSize));

    [Theory]
    [InlineData(512, 2, new[] { 7, 7 })]
    [InlineData(2, 1, new[] { 5 })]
    [InlineData(8192, 4, new[] { 3, 2 })]
    public void Codes_survive_the_round_trip_at_their_packed_size(int codebookSize, int heads, int[] grid)
    {
        using var folder = new TempDirectory();
        var path = folder.File("codes.vq");
        int positions = grid.Aggregate(1, (a, b) => a * b), count = 13;
        manual_seed(1);
        using var codes = randint(0, codebookSize, [count, positions, heads]);
        PackedCodes.Write(path, codebookSize, heads, grid, codes);

        long bits = (long)count * positions * heads * PackedCodes.BitsPerCode(codebookSize);
        Assert.Equal(16 + 4 * grid.Length + 8 + (bits + 7) / 8, new FileInfo(path).Length);
        var read = PackedCodes.Read(path);
        Assert.Equal(codebookSize, read.CodebookSize);
        Assert.Equal(heads, read.Heads);
        Assert.Equal(grid, read.Grid);
        Assert.True(read.Codes.SameAs(codes));
    }

    static string Written(TempDirectory folder, int codebookSize = 16, int count = 5)
    {
        var path = folder.File("codes.vq");
        using var codes = randint(0, codebookSize, [count, 4, 1]);
        PackedCodes.Write(path, codebookSize, 1, [2, 2], codes);
        return path;
    }

    [Fact]
    public void A_file_that_is_not_a_vq_file_is_named()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("z.vq"), "z0,z1\n1,2\n");
        var error = Assert.Throws<UserInputException>(() => PackedCodes.Read(folder.File("z.vq")));
        Assert.Contains("LVQC header", error.Message);
        Assert.Contains("does not exist", Assert.Throws<UserInputException>(() => PackedCodes.Read(folder.File("missing.vq"))).Message);
    }

    [Fact]
    public void A_truncated_file_is_refused_before_anything_is_allocated()
    {
        using var folder = new TempDirectory();
        var path = Written(folder);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^1]);
        Assert.Contains("bytes of codes", Assert.Throws<UserInputException>(() => PackedCodes.Read(path)).Message);
        File.WriteAllBytes(path, bytes[..20]);
        Assert.Contains("cut short", Assert.Throws<UserInputException>(() => PackedCodes.Read(path)).Message);
    }

    [Fact]
    public void A_header_that_announces_more_examples_than_the_file_holds_is_refused()
    {
        using var folder = new TempDirectory();
        var path = Written(folder);
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes(ulong.MaxValue / 2).CopyTo(bytes, 24); // the count, after the 16-byte header and two grid sides
        File.WriteAllBytes(path, bytes);
        Assert.Contains("more than the file holds", Assert.Throws<UserInputException>(() => PackedCodes.Read(path)).Message);
    }

    [Fact]
    public void Inconsistent_header_fields_are_refused()
    {
        using var folder = new TempDirectory();
        var path = Written(folder);
        var original = File.ReadAllBytes(path);

        var bytes = (byte[])original.Clone();
        bytes[12] = 7; // 7 bits per code where K = 16 needs 4
        File.WriteAllBytes(path, bytes);
        Assert.Contains("bits per code", Assert.Throws<UserInputException>(() => PackedCodes.Read(path)).Message);

        bytes = (byte[])original.Clone();
        bytes[4] = 9; // version 9
        File.WriteAllBytes(path, bytes);
        Assert.Contains("version 9", Assert.Throws<UserInputException>(() => PackedCodes.Read(path)).Message);
    }

    [Fact]
    public void A_code_beyond_K_is_refused()
    {
        using var folder = new TempDirectory();
        var path = folder.File("codes.vq");
        // K = 3 takes 2 bits per code, so the bit pattern 11 (= 3) can appear in a damaged file.
        using var codes = zeros(1, 4, 1, ScalarType.Int64);
        PackedCodes.Write(path, 3, 1, [4], codes);
        var bytes = File.ReadAllBytes(path);
        bytes[^1] = 0b11;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("is not below K = 3", Assert.Throws<UserInputException>(() => PackedCodes.Read(path)).Message);
    }
}
