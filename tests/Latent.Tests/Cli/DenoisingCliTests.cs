using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>The dae and mae families from the command line: train, eval (with probes), inpaint, on images and on text.</summary>
public sealed class DenoisingCliTests
{
    [Fact]
    public void A_denoising_run_on_images_inpaints_a_picture_and_reports_probe_accuracies()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--model", "dae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--latent-dim", "16",
                            "--noise", "mask:0.5", "--out", run, "--quiet").Code);
        Assert.Equal(0, Run("inpaint", "--run", run, "--mask", "box:8,8,12,12", "--count", "5", "--out", folder.File("in.png"), "--quiet").Code);
        Assert.True(new FileInfo(folder.File("in.png")).Length > 500);

        Assert.Equal(0, Run("eval", "--run", run, "--probe", "--probe-raw").Code);
        var eval = File.ReadAllText(Path.Combine(run, "eval.json"));
        foreach (var key in new[] { "linear_probe_accuracy", "knn_accuracy", "raw_linear_probe_accuracy", "masked_mse", "mean_fill_masked_mse" })
            Assert.Contains($"\"{key}\"", eval);

        AssertUsageError(Run("inpaint", "--run", run, "--mask", "ring"), "is not a mask");
        AssertUsageError(Run("inpaint", "--run", run, "--mask", "box:40,0,4,4"), "outside");
    }

    [Fact]
    public void A_masked_autoencoder_trains_and_inpaints()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--model", "mae", "--data", "shapes", "--limit", "200", "--epochs", "1", "--width", "32", "--depth", "1",
                            "--decoder-width", "16", "--decoder-depth", "1", "--patch-size", "8", "--out", run, "--quiet").Code);
        Assert.Equal(0, Run("inpaint", "--run", run, "--mask", "random:0.5", "--out", folder.File("in.png"), "--quiet").Code);
        Assert.True(File.Exists(folder.File("in.png")));
        AssertUsageError(Run("train", "--model", "mae", "--data", "shapes", "--patch-size", "5", "--out", folder.File("bad")), "--patch-size 5");
        Assert.False(Directory.Exists(folder.File("bad")));
    }

    [Fact]
    public void A_text_run_fills_in_masked_characters_with_the_vocabulary_it_was_trained_with()
    {
        using var folder = new TempDirectory();
        var text = folder.File("t.txt");
        File.WriteAllText(text, Latent.Tests.Data.TextSourceTests.SeededText());
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--model", "dae", "--data", "text:" + text, "--window", "16", "--noise", "mask:0.15", "--loss-on", "masked",
                            "--hidden", "64", "--latent-dim", "64", "--width", "16", "--epochs", "1", "--out", run, "--quiet").Code);
        Assert.Contains("\"vocabulary\"", File.ReadAllText(Path.Combine(run, "manifest.json")));

        Assert.Equal(0, Run("eval", "--run", run).Code);
        Assert.Contains("\"masked_token_accuracy\"", File.ReadAllText(Path.Combine(run, "eval.json")));

        var inpaint = Run("inpaint", "--run", run, "--mask", "random:0.2", "--count", "2");
        Assert.Equal(0, inpaint.Code);
        Assert.Contains("example 2", inpaint.Output);
        Assert.Contains("  masked    ", inpaint.Output);
        Assert.Contains("hidden tokens right", inpaint.Output);

        // Other text goes through the recorded vocabulary, so the shapes agree.
        var other = folder.File("other.txt");
        File.WriteAllText(other, Latent.Tests.Data.TextSourceTests.SeededText(seed: 9) + " Zebras!");
        Assert.Equal(0, Run("inpaint", "--run", run, "--data", "text:" + other, "--quiet").Code);

        AssertUsageError(Run("eval", "--run", run, "--probe"), "no labels");
        AssertUsageError(Run("inpaint", "--run", run, "--mask", "box:1,1,2,2"), "box masks are for images");
    }

    [Fact]
    public void Models_that_cannot_fill_in_and_bad_text_are_named()
    {
        using var folder = new TempDirectory();
        var run = folder.File("ae");
        Assert.Equal(0, Run("train", "--data", "shapes", "--limit", "200", "--epochs", "1", "--hidden", "16", "--out", run, "--quiet").Code);
        AssertUsageError(Run("inpaint", "--run", run), "was not trained to fill in");
        AssertUsageError(Run("train", "--model", "dae", "--data", "text:" + folder.File("none.txt"), "--out", folder.File("x")), "does not exist");
        AssertUsageError(Run("train", "--model", "dae", "--data", "shapes", "--noise", "blur:1", "--out", folder.File("x")), "--noise");
        Assert.False(Directory.Exists(folder.File("x")));
    }
}
