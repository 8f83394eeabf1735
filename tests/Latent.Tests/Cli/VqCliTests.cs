using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>The VQ-VAE on the command line: codebook figures in eval.json, packed codes, sampling.</summary>
public sealed class VqCliTests
{
    [Fact]
    public void Train_eval_encode_to_bits_decode_and_sample_work_end_to_end()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        var train = Run("train", "--model", "vqvae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                        "--latent-dim", "4", "--slots", "6", "--heads", "2", "--codebook-size", "16",
                        "--prior-epochs", "1", "--prior-width", "8", "--prior-layers", "1", "--out", run, "--quiet");
        Assert.Equal(0, train.Code);
        Assert.Equal("", train.Error);
        Assert.True(File.Exists(Path.Combine(run, "codebook-usage.png")));
        Assert.True(File.Exists(Path.Combine(run, "samples.png")));

        Assert.Equal(0, Run("eval", "--run", run).Code);
        var eval = File.ReadAllText(Path.Combine(run, "eval.json"));
        foreach (var key in new[] { "codebook_usage", "codebook_perplexity", "bits_per_example", "prior_bits_per_example", "test_mse", "pca_mse_same_bits" })
            Assert.Contains($"\"{key}\"", eval);
        Assert.Contains("\"bits_per_example\": 48", eval); // 6 slots × 2 heads × 4 bits

        var codes = folder.File("codes.vq");
        var encode = Run("encode", "--run", run, "--data", "shapes", "--out", codes);
        Assert.Equal(0, encode.Code);
        Assert.Equal(16 + 4 + 8 + 2000 * 48 / 8, new FileInfo(codes).Length); // header, one grid side, count; 2000 test examples
        Assert.Contains("48 bits", encode.Output);

        Assert.Equal(0, Run("decode", "--run", run, "--in", codes, "--out", folder.File("decoded.png")).Code);
        Assert.True(new FileInfo(folder.File("decoded.png")).Length > 1000);
        Assert.Equal(0, Run("sample", "--run", run, "--count", "4", "--out", folder.File("s.png")).Code);
        Assert.True(File.Exists(folder.File("s.png")));

        // The codes of one run do not decode with another: the header says whose they are.
        var other = folder.File("other");
        Assert.Equal(0, Run("train", "--model", "vqvae", "--data", "shapes", "--limit", "200", "--epochs", "1", "--hidden", "16",
                            "--latent-dim", "4", "--slots", "6", "--codebook-size", "8", "--prior-epochs", "0", "--out", other, "--quiet").Code);
        AssertUsageError(Run("decode", "--run", other, "--in", codes, "--out", folder.File("x.png")), "pass the --run that encoded it");
    }

    [Fact]
    public void An_fsq_run_stores_its_codes_at_the_exact_product_of_its_levels()
    {
        using var folder = new TempDirectory();
        var run = folder.File("fsq");
        Assert.Equal(0, Run("train", "--model", "vqvae", "--quantizer", "fsq", "--levels", "8,5,5,5", "--data", "shapes", "--limit", "300",
                            "--epochs", "1", "--hidden", "32", "--slots", "6", "--prior-epochs", "1", "--prior-width", "8", "--prior-layers", "1",
                            "--out", run, "--quiet").Code);
        Assert.Equal(0, Run("eval", "--run", run).Code);
        var eval = File.ReadAllText(Path.Combine(run, "eval.json"));
        Assert.Contains("\"bits_per_example\": 60", eval); // ⌈6 · log2 1000⌉ = ⌈59.79⌉, where 10-bit codes would take 60 as well
        var codes = folder.File("codes.vq");
        Assert.Equal(0, Run("encode", "--run", run, "--data", "shapes", "--out", codes).Code);
        Assert.Equal(16 + 4 + 8 + 1 + 4 * 2 + 2000 * 60 / 8, new FileInfo(codes).Length); // header with the levels block; 2000 test examples
        Assert.Equal(0, Run("decode", "--run", run, "--in", codes, "--out", folder.File("decoded.png")).Code);
        Assert.Equal(0, Run("sample", "--run", run, "--count", "4", "--out", folder.File("s.png")).Code);

        var rvq = folder.File("rvq");
        Assert.Equal(0, Run("train", "--model", "vqvae", "--quantizer", "rvq", "--stages", "3", "--quantizer-dropout", "1", "--data", "shapes",
                            "--limit", "300", "--epochs", "1", "--hidden", "32", "--slots", "6", "--codebook-size", "16", "--prior-epochs", "0",
                            "--out", rvq, "--quiet").Code);
        Assert.Equal(0, Run("eval", "--run", rvq).Code);
        var rvqEval = File.ReadAllText(Path.Combine(rvq, "eval.json"));
        foreach (var key in new[] { "codebook_usage_stage_1", "codebook_usage_stage_3", "test_mse_stages_1", "test_mse_stages_2", "test_mse_stages_3" })
            Assert.Contains($"\"{key}\"", rvqEval);
        Assert.Contains("\"bits_per_example\": 72", rvqEval); // 6 slots × 3 stages × 4 bits
        // FSQ codes do not decode with the residual run.
        AssertUsageError(Run("decode", "--run", rvq, "--in", codes, "--out", folder.File("x.png")), "pass the --run that encoded it");
    }

    [Fact]
    public void Packed_codes_need_a_vqvae_run()
    {
        using var folder = new TempDirectory();
        var run = folder.File("ae");
        Assert.Equal(0, Run("train", "--data", "shapes", "--limit", "200", "--epochs", "1", "--hidden", "16", "--latent-dim", "2", "--out", run, "--quiet").Code);
        AssertUsageError(Run("encode", "--run", run, "--data", "shapes", "--out", folder.File("z.vq")), "no discrete codes");
        File.WriteAllBytes(folder.File("z.vq"), [1, 2, 3]);
        AssertUsageError(Run("decode", "--run", run, "--in", folder.File("z.vq"), "--out", folder.File("x.png")), "cannot decode VQ codes");
        Assert.False(File.Exists(folder.File("x.png")));
    }

    [Theory]
    [InlineData("--codebook-size 1 is out of range", "--codebook-size", "1")]
    [InlineData("does not split into 3 heads", "--heads", "3")]
    [InlineData("--ema-decay 1 must be in (0, 1)", "--ema-decay", "1")]
    [InlineData("--restart-after -1", "--restart-after", "-1")]
    [InlineData("--levels does not apply to --model vqvae --quantizer vq; drop it, or pass --quantizer fsq", "--levels", "8,5,5,5")]
    [InlineData("--restart-after does not apply to --model vqvae --quantizer fsq; drop it, or pass --quantizer vq or rvq", "--quantizer", "fsq", "--restart-after", "0")]
    [InlineData("--cosine does not apply to --model vqvae --quantizer rvq; drop it, or pass --quantizer vq", "--quantizer", "rvq", "--cosine")]
    [InlineData("--sample-entropy-weight does not apply to --model vqvae --quantizer vq; drop it, or pass --quantizer lfq", "--sample-entropy-weight", "0.5")]
    [InlineData("--commitment does not apply to --model vqvae --quantizer fsq; drop it, or pass --quantizer vq or lfq or rvq", "--quantizer", "fsq", "--commitment", "0.25")]
    [InlineData("--ema does not apply to --model vqvae --quantizer lfq", "--ema", "false", "--quantizer", "lfq")]
    [InlineData("no recommended levels for --codebook-size 100", "--quantizer", "fsq", "--codebook-size", "100")]
    [InlineData("disagrees with --levels", "--quantizer", "fsq", "--levels", "8,5", "--codebook-size", "64")]
    [InlineData("needs a power of two", "--quantizer", "lfq", "--codebook-size", "1000")]
    [InlineData("--stages 20 is out of range", "--quantizer", "rvq", "--stages", "20")]
    [InlineData("--quantizer-dropout 2 is not a fraction", "--quantizer", "rvq", "--quantizer-dropout", "2")]
    [InlineData("is not one of: vq, fsq, lfq, rvq", "--quantizer", "pq")]
    public void Nonsense_vq_options_are_one_line_errors(string expected, params string[] args)
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run(["train", "--model", "vqvae", "--data", "shapes", .. args, "--out", folder.File("run")]), expected);
        Assert.False(Directory.Exists(folder.File("run")));
    }

    [Fact]
    public void Help_marks_each_quantizer_option_with_the_quantizers_that_take_it()
    {
        var help = Run("train", "--model", "vqvae", "--help");
        Assert.Equal(0, help.Code);
        string Line(string option) => help.Output.Split('\n').Single(line => line.TrimStart().StartsWith(option + " "));
        Assert.Contains("(--quantizer fsq only)", Line("--levels"));
        Assert.Contains("(--quantizer rvq only)", Line("--stages"));
        Assert.Contains("(--quantizer rvq only)", Line("--quantizer-dropout"));
        Assert.Contains("(--quantizer vq only)", Line("--cosine"));
        Assert.Contains("(--quantizer vq, rvq only)", Line("--restart-after"));
        Assert.Contains("(--quantizer vq, lfq, rvq only)", Line("--commitment"));
        Assert.Contains("(--quantizer lfq only)", Line("--entropy-temperature"));
        Assert.Contains("(mlp only)", Line("--slots"));
        Assert.DoesNotContain("only", Line("--heads"));
        Assert.DoesNotContain("only", Line("--codebook-size"));
    }

    [Fact]
    public void A_residual_run_card_names_its_quantizer_and_shows_each_stage()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--model", "vqvae", "--quantizer", "rvq", "--stages", "3", "--codebook-size", "8", "--data", "shapes", "--limit", "200",
                            "--epochs", "1", "--hidden", "16", "--latent-dim", "4", "--slots", "4", "--prior-epochs", "0", "--out", run, "--quiet").Code);
        Assert.Equal(0, Run("eval", "--run", run).Code);
        var directory = Latent.Runs.RunDirectory.Open(run);
        var evaluation = directory.ReadEvaluation();
        var card = Latent.Reporting.RunCards.Build(new("run", directory, directory.ReadManifest(), evaluation), []);
        Assert.Contains("· quantizer rvq ·", card.Title);
        var stages = Assert.Single(card.Notes, note => note.StartsWith("codebook usage by stage "));
        // Three usages as percentages, then the error from the first 1, 2 and 3 stages as eval.json has them.
        Assert.Equal(3, stages.Split(';')[0].Split(',').Count(part => part.TrimEnd().EndsWith('%')));
        for (int stage = 1; stage <= 3; stage++)
            Assert.Contains($"{stage}: {Latent.Reporting.FigureFormat.Format("test_mse", evaluation[$"test_mse_stages_{stage}"])}", stages);
    }

    [Fact]
    public void A_manifest_records_only_the_options_its_quantizer_takes()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--model", "vqvae", "--quantizer", "fsq", "--levels", "4,3", "--data", "shapes", "--limit", "200", "--epochs", "1",
                            "--hidden", "16", "--latent-dim", "4", "--slots", "4", "--prior-epochs", "0", "--out", run, "--quiet").Code);
        var model = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "manifest.json"))).RootElement.GetProperty("model");
        Assert.Equal("[4,3]", model.GetProperty("levels").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        foreach (var absent in new[] { "commitment", "ema", "restart_after", "stages", "cosine", "gradient", "sample_entropy_weight" })
            Assert.False(model.TryGetProperty(absent, out _), $"an fsq manifest records {absent}");
    }
}
