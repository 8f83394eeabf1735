using System.Text.Json;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>Conditional generation from the command line: --condition label, sample and decode --label, and the refusals.</summary>
public sealed class ConditionalCliTests
{
    [Fact]
    public void A_conditional_run_samples_a_label_by_number_or_name_decodes_with_labels_and_refuses_what_it_cannot_do()
    {
        using var folder = new TempDirectory();
        var run = folder.File("cvae");
        Assert.Equal(0, Run("train", "--model", "ae", "--condition", "label", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                            "--latent-dim", "4", "--out", run, "--quiet").Code);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json"))).RootElement.GetProperty("model");
        Assert.Equal("label", manifest.GetProperty("condition").GetString());
        Assert.Equal(4, manifest.GetProperty("condition_classes").GetInt32());

        Assert.Equal(0, Run("sample", "--run", run, "--sampler", "gaussian", "--label", "heart", "--count", "4", "--out", folder.File("hearts.png")).Code);
        Assert.Equal(0, Run("sample", "--run", run, "--sampler", "gaussian", "--label", "1", "--count", "4", "--out", folder.File("ellipses.png")).Code);
        Assert.Equal(0, Run("sample", "--run", run, "--sampler", "gaussian", "--out", folder.File("all.png")).Code);
        AssertUsageError(Run("sample", "--run", run, "--sampler", "gaussian", "--label", "sneaker"), "label 'sneaker' is not one of the 4 classes");
        AssertUsageError(Run("sample", "--run", run, "--sampler", "gaussian", "--label", "4"), "pass 0 to 3 or one of square, ellipse, heart, triangle");

        Assert.Equal(0, Run("eval", "--run", run, "--quiet").Code);
        Assert.Equal(0, Run("encode", "--run", run, "--out", folder.File("z.csv")).Code);
        Assert.Equal(0, Run("decode", "--run", run, "--in", folder.File("z.csv"), "--out", folder.File("d.png")).Code);
        File.WriteAllLines(folder.File("bare.csv"), File.ReadLines(folder.File("z.csv")).Select(line => line[..line.LastIndexOf(',')]));
        AssertUsageError(Run("decode", "--run", run, "--in", folder.File("bare.csv"), "--out", folder.File("d.png")), "has no label column; pass --label L");
        Assert.Equal(0, Run("decode", "--run", run, "--in", folder.File("bare.csv"), "--label", "triangle", "--out", folder.File("d.png")).Code);
        AssertUsageError(Run("export", "--run", run, "--out", folder.File("onnx")), "--condition label");
        Assert.False(Directory.Exists(folder.File("onnx")));
    }

    [Fact]
    public void A_label_for_an_unconditional_run_and_a_condition_where_it_does_not_apply_are_one_line_errors()
    {
        using var folder = new TempDirectory();
        var run = folder.File("vae");
        Assert.Equal(0, Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--latent-dim", "4", "--out", run, "--quiet").Code);
        AssertUsageError(Run("sample", "--run", run, "--label", "3"), "--label applies to runs trained with --condition label");

        AssertUsageError(Run("train", "--model", "pca", "--condition", "label", "--data", "shapes", "--out", folder.File("pca")), "--condition does not apply to --model pca");
        AssertUsageError(Run("pca", "--condition", "label", "--data", "shapes", "--out", folder.File("pca")), "--condition");
        AssertUsageError(Run("train", "--model", "vqvae", "--condition", "label", "--data", "shapes", "--out", folder.File("vq")), "--condition does not apply to --model vqvae");
        File.WriteAllText(folder.File("t.csv"), "a,b,c\n1,2,3\n4,5,6\n7,8,9\n1,1,1\n2,2,2\n3,3,3\n");
        AssertUsageError(Run("train", "--model", "ae", "--condition", "label", "--data", $"csv:{folder.File("t.csv")}", "--epochs", "1", "--out", folder.File("table")),
            "--condition label needs data with labels");
        AssertUsageError(Run("train", "--model", "vae", "--condition", "label", "--prior", "vamp", "--data", "shapes", "--limit", "300", "--out", folder.File("vamp")),
            "--prior vamp has pseudo-inputs without labels");
        Assert.False(Directory.Exists(folder.File("table")));
        Assert.False(Directory.Exists(folder.File("vamp")));
    }
}
