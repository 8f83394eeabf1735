using Latent.Nn;
using System.Text.Json.Nodes;
using Latent.Runs;
using Latent.Tests.Models;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary><c>latent pca</c>, and the linear autoencoder against it, as a user meets them.</summary>
public sealed class PcaCliTests
{
    static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    [Fact]
    public void Pca_writes_a_run_that_eval_encode_decode_and_reconstruct_use()
    {
        using var folder = new TempDirectory();
        var run = folder.File("pca");
        var fit = Run("pca", "--data", "shapes", "--limit", "300", "--components", "6", "--out", run);
        Assert.Equal(0, fit.Code);
        Assert.Contains("fitted 6 components to 270×1024 in", fit.Output);

        foreach (var file in new[] { "manifest.json", "model.safetensors", "fit.json", "scree.png", "components.png", "reconstructions.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        var manifest = ReadJson(Path.Combine(run, "manifest.json"));
        Assert.Equal("pca", manifest["family"]!.GetValue<string>());
        Assert.Null(manifest["training"]);
        Assert.Equal(6, manifest["model"]!["latent_dim"]!.GetValue<int>());
        var (tensors, _) = SafeTensors.Load(Path.Combine(run, "model.safetensors"));
        Assert.Equal(new long[] { 6, 1024 }, tensors["components"].shape);
        Assert.Equal(new long[] { 1024 }, tensors["mean"].shape);
        Assert.True(ReadJson(Path.Combine(run, "fit.json"))["fit_seconds"]!.GetValue<double>() > 0);

        Assert.Equal(0, Run("eval", "--run", run, "--quiet").Code);
        var eval = ReadJson(Path.Combine(run, "eval.json"));
        // Refitting on the same training split gives the same subspace and the same error.
        Assert.InRange(eval["principal_angle_max_deg"]!.GetValue<double>(), 0, 1e-3);
        Assert.Equal(eval["test_mse"]!.GetValue<double>(), eval["pca_optimum_mse"]!.GetValue<double>(), 6);

        var codes = folder.File("z.csv");
        Assert.Equal(0, Run("encode", "--run", run, "--data", "shapes", "--out", codes, "--quiet").Code);
        Assert.StartsWith("z0,z1,z2,z3,z4,z5,label", File.ReadAllLines(codes)[0]);
        Assert.Equal(0, Run("decode", "--run", run, "--in", codes, "--out", folder.File("decoded.png"), "--quiet").Code);
        Assert.Equal(0, Run("reconstruct", "--run", run, "--count", "8", "--out", folder.File("r.png"), "--quiet").Code);
        Assert.True(File.Exists(folder.File("r.png")));
    }

    [Fact]
    public void Whitened_pca_on_a_table_with_a_constant_column_warns_and_stays_finite()
    {
        using var folder = new TempDirectory();
        var table = folder.File("t.csv");
        File.WriteAllText(table, "a,b,c\n" + string.Concat(Enumerable.Range(0, 60).Select(i => $"{i % 7},{(i * i) % 11},3\n")));
        var run = folder.File("pca");
        var fit = Run("pca", "--data", $"csv:{table}", "--components", "3", "--whiten", "--out", run);
        Assert.Equal(0, fit.Code);
        Assert.Contains("warning: components 3–3 have zero variance", fit.Error);
        Assert.Equal(1, ReadJson(Path.Combine(run, "fit.json"))["zero_variance_components"]!.GetValue<double>());
        Assert.False(File.Exists(Path.Combine(run, "components.png"))); // a table has no picture
        var codes = folder.File("z.csv");
        Assert.Equal(0, Run("encode", "--run", run, "--data", $"csv:{table}", "--out", codes, "--quiet").Code);
        Assert.DoesNotContain("NaN", File.ReadAllText(codes));
        Assert.DoesNotContain("Infinity", File.ReadAllText(codes));
    }

    [Theory]
    [InlineData("--components 0 must be positive", "--components", "0")]
    [InlineData("--components 2000 is more than the 1024 features", "--components", "2000")]
    [InlineData("--components 'many' must be a whole number", "--components", "many")]
    [InlineData("--components 40 is more than the 27 training examples", "--components", "40", "--limit", "30")]
    [InlineData("--latent-dim is --components on latent pca", "--latent-dim", "4")]
    [InlineData("--whiten is a flag and takes no value", "--whiten", "yes")]
    public void Bad_pca_options_are_one_line_errors_that_write_nothing(string expected, params string[] args)
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run(["pca", "--data", "shapes", .. args, "--out", folder.File("run")]), expected);
        Assert.False(Directory.Exists(folder.File("run")));
    }

    [Fact]
    public void Pca_cannot_be_trained_nor_resumed_and_linear_cannot_be_fitted()
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run("train", "--model", "pca", "--data", "shapes", "--out", folder.File("t")), "pca is fitted in closed form, not trained; run 'latent pca");
        Assert.False(Directory.Exists(folder.File("t")));
        var run = folder.File("pca");
        Assert.Equal(0, Run("pca", "--data", "shapes", "--limit", "100", "--components", "2", "--out", run, "--quiet").Code);
        AssertUsageError(Run("train", "--resume", "--out", run), "closed-form pca fit with nothing to resume");
        AssertUsageError(Run("pca", "--data", "shapes", "--out", run), "already exists");
        AssertUsageError(Run("train", "--model", "linear", "--arch", "conv", "--out", folder.File("l")), "--arch conv is not available for --model linear");
    }

    [Fact]
    public void On_a_csv_table_the_linear_autoencoder_reaches_the_pca_optimum_and_subspace()
    {
        using var folder = new TempDirectory();
        var table = folder.File("lowrank.csv");
        LowRankData.Generate(rows: 1000, features: 12, [3, 2, 1.5], noise: 0.1, seed: 21).WriteCsv(table);
        var run = folder.File("linear");
        int threads = TorchSharp.torch.get_num_threads(); // --threads 1 is process-wide: restore it for the next tests
        try
        {
            Assert.Equal(0, Run("train", "--model", "linear", "--data", $"csv:{table}", "--latent-dim", "3", "--epochs", "30",
                                "--batch-size", "50", "--lr", "0.1", "--threads", "1", "--out", run, "--quiet").Code);
        }
        finally { TorchSharp.torch.set_num_threads(threads); }
        Assert.Equal(0, Run("eval", "--run", run, "--quiet").Code);
        var eval = ReadJson(Path.Combine(run, "eval.json"));
        double error = eval["test_mse"]!.GetValue<double>(), optimum = eval["pca_optimum_mse"]!.GetValue<double>();
        Assert.InRange(error / optimum, 0.98, 1.01);
        Assert.InRange(eval["principal_angle_max_deg"]!.GetValue<double>(), 0, 2);

        var pca = folder.File("pca");
        Assert.Equal(0, Run("pca", "--data", $"csv:{table}", "--components", "3", "--out", pca, "--quiet").Code);
        Assert.Equal(0, Run("eval", "--run", pca, "--quiet").Code);
        Assert.Equal(optimum, ReadJson(Path.Combine(pca, "eval.json"))["test_mse"]!.GetValue<double>(), 3);
    }
}
