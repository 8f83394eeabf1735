using System.Text;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Tests.Runs;

public sealed class LatentCsvTests
{
    [Fact]
    public void Written_codes_read_back_bit_identically()
    {
        using var folder = new TempDirectory();
        manual_seed(3);
        using var codes = randn(7, 3);
        LatentCsv.Write(folder.File("z.csv"), codes, labels: [0, 1, 2, 0, 1, 2, 0]);
        using var read = LatentCsv.Read(folder.File("z.csv"), 3);
        Assert.True(read.SameAs(codes));
    }

    [Fact]
    public void Quoted_cells_crlf_a_byte_order_mark_and_blank_lines_are_read()
    {
        using var folder = new TempDirectory();
        var text = "label,\"z1\",z0\r\n\"cat, black\",\"2.5\",-1\r\n\r\ndog,3,4e-1\r\n\r\n";
        File.WriteAllBytes(folder.File("z.csv"), [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)]);
        using var read = LatentCsv.Read(folder.File("z.csv"), 2);
        Assert.Equal(new[] { -1f, 2.5f, 0.4f, 3f }, read.data<float>().ToArray());
    }

    [Theory]
    [InlineData("z0,z1\n1,2\n3\n", "line 3 has 1 fields where its header has 2")]
    [InlineData("z0,z1\n1,2\n3,4,5\n", "line 3 has 3 fields where its header has 2")]
    [InlineData("z0,z1\n1,2\n\n3,x\n", "line 4, column z1: 'x' is not a finite number")]
    [InlineData("z0,z2\n1,2\n", "needs columns z0…z1")]
    [InlineData("z0,z1\n", "has no rows of latent codes")]
    [InlineData("z0,z1\n1,\"2\n3,4\n", "line 2, column z1: '2 3,4' is not a finite number")]
    public void A_malformed_latent_file_is_a_one_line_error_that_names_its_line(string text, string expected)
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("z.csv"), text);
        var error = Assert.Throws<UserInputException>(() => LatentCsv.Read(folder.File("z.csv"), 2).Dispose());
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
