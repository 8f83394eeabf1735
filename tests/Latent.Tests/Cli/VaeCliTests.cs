using System.Text.Json;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>The VAE's commands end to end: train, eval with IWAE, sample (prior, Gaussian, GMM), interpolate, the 2-D figures.</summary>
public sealed class VaeCliTests
{
    static bool IsPicture(string path) => File.Exists(path) && new FileInfo(path).Length > 500;

    [Fact]
    public void A_two_dimensional_vae_trains_evaluates_samples_and_interpolates()
    {
        using var folder = new TempDirectory();
        var run = folder.File("vae");
        var train = Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                        "--latent-dim", "2", "--kl-warmup", "0.5", "--out", run, "--quiet");
        Assert.Equal(0, train.Code);
        foreach (var figure in new[] { "reconstructions.png", "samples.png", "latent-space.png", "interpolations.png", "kl-per-dimension.png", "latent-manifold.png" })
            Assert.True(IsPicture(Path.Combine(run, figure)), figure);
        var metrics = JsonDocument.Parse(File.ReadLines(Path.Combine(run, "metrics.jsonl")).First()).RootElement;
        Assert.True(metrics.TryGetProperty("active_units", out _) && metrics.TryGetProperty("kl_dim_1", out _) && metrics.TryGetProperty("val_kl", out _));

        Assert.Equal(0, Run("eval", "--run", run, "--iwae-samples", "4", "--quiet").Code);
        var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))).RootElement;
        foreach (var key in new[] { "test_neg_elbo_nats", "test_kl_nats", "iwae_nll_nats", "iwae_samples", "active_units", "kl_dim_0", "kl_dim_1", "test_mse" })
            Assert.True(eval.TryGetProperty(key, out _), key);
        Assert.Equal(4, eval.GetProperty("iwae_samples").GetDouble());

        Assert.Equal(0, Run("sample", "--run", run, "--count", "9", "--out", folder.File("s.png")).Code);
        Assert.True(IsPicture(folder.File("s.png")));
        Assert.Equal(0, Run("interpolate", "--run", run, "--pairs", "2", "--steps", "5", "--out", folder.File("i.png")).Code);
        Assert.True(IsPicture(folder.File("i.png")));
        Assert.Equal(0, Run("interpolate", "--run", run, "--from", "0", "--to", "7", "--slerp", "--out", folder.File("j.png")).Code);
        Assert.True(IsPicture(folder.File("j.png")));
        AssertUsageError(Run("interpolate", "--run", run, "--from", "0"), "--from and --to go together");
        AssertUsageError(Run("interpolate", "--run", run, "--from", "0", "--to", "99999"), "the test split has examples 0 to");
        AssertUsageError(Run("sample", "--run", run, "--sampler", "gaussian", "--components", "3"), "--components applies to --sampler gmm");
    }

    [Fact]
    public void A_plain_autoencoder_is_sampled_through_a_fitted_mixture_that_is_kept_in_the_run()
    {
        using var folder = new TempDirectory();
        var run = folder.File("ae");
        Assert.Equal(0, Run("train", "--model", "ae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                            "--latent-dim", "4", "--out", run, "--quiet").Code);
        AssertUsageError(Run("sample", "--run", run), "pass --sampler gmm (or gaussian)");

        var first = Run("sample", "--run", run, "--sampler", "gmm", "--components", "3", "--count", "16", "--out", folder.File("g.png"));
        Assert.Equal(0, first.Code);
        Assert.Contains("sampler written to", first.Output);
        Assert.True(File.Exists(Path.Combine(run, "sampler-gmm-3.safetensors")));
        Assert.True(IsPicture(folder.File("g.png")));
        var second = Run("sample", "--run", run, "--sampler", "gmm", "--components", "3", "--count", "16", "--out", folder.File("h.png"));
        Assert.Contains("reusing the sampler", second.Output);
        Assert.Equal(File.ReadAllBytes(folder.File("g.png")), File.ReadAllBytes(folder.File("h.png")));

        Assert.Equal(0, Run("sample", "--run", run, "--sampler", "gaussian", "--out", folder.File("n.png"), "--quiet").Code);
        Assert.True(File.Exists(Path.Combine(run, "sampler-gaussian.safetensors")));
        Assert.Equal(0, Run("interpolate", "--run", run, "--out", folder.File("i.png"), "--quiet").Code);
    }

    [Theory]
    [InlineData("--beta -1 must be zero or positive", "--beta", "-1")]
    [InlineData("--kl-warmup -2 must be zero", "--kl-warmup", "-2")]
    [InlineData("--likelihood 'poisson' is not one of", "--likelihood", "poisson")]
    [InlineData("--covariance 'banded' is not one of", "--covariance", "banded")]
    [InlineData("--binarize dynamic draws binary pixels for the bernoulli likelihood", "--binarize", "dynamic", "--likelihood", "discretized-logistic")]
    [InlineData("--binarize 'static' is not one of", "--binarize", "static")]
    public void Bad_vae_options_are_one_line_errors(string expected, params string[] options)
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run(["train", "--model", "vae", .. options, "--out", folder.File("run")]), expected);
        Assert.False(Directory.Exists(folder.File("run")));
    }

    [Theory]
    [InlineData(2, "--binarize", "dynamic")]
    [InlineData(3, "--likelihood", "discretized-logistic")]
    [InlineData(3, "--arch", "conv", "--likelihood", "discretized-logistic")]
    public void Eval_says_which_quantity_the_nats_are_and_gives_bits_per_dimension(int quantity, params string[] options)
    {
        using var folder = new TempDirectory();
        var run = folder.File("vae");
        var train = Run(["train", "--model", "vae", .. options, "--data", "shapes", "--limit", "300", "--epochs", "1", "--out", run, "--quiet"]);
        Assert.True(train.Code == 0, train.Error);
        Assert.Equal(0, Run("eval", "--run", run, "--iwae-samples", "4", "--quiet").Code);
        var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))).RootElement;
        Assert.Equal(quantity, eval.GetProperty("likelihood_quantity").GetDouble());
        double dimensions = 32 * 32 * Math.Log(2);   // shapes: 32×32 grey images
        Assert.Equal(eval.GetProperty("test_neg_elbo_nats").GetDouble() / dimensions, eval.GetProperty("test_neg_elbo_bits_per_dim").GetDouble(), 9);
        Assert.Equal(eval.GetProperty("iwae_nll_nats").GetDouble() / dimensions, eval.GetProperty("iwae_bits_per_dim").GetDouble(), 9);
        Assert.True(eval.GetProperty("iwae_nll_nats").GetDouble() > 0, "a negative log-probability of discrete data is positive");
        // Evaluating again gives the same figures: the binarised test split and the noise are seeded.
        Assert.Equal(0, Run("eval", "--run", run, "--iwae-samples", "4", "--quiet").Code);
        Assert.Equal(eval.GetProperty("iwae_nll_nats").GetDouble(), JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))).RootElement.GetProperty("iwae_nll_nats").GetDouble());
        foreach (var command in new[] { new[] { "score", "--run", run, "--data", "shapes", "--out", folder.File("scores.csv") }, ["sample", "--run", run, "--count", "4", "--out", folder.File("s.png")] })
            Assert.Equal(0, Run([.. command, "--quiet"]).Code);
    }

    [Fact]
    public void A_vae_run_whose_manifest_predates_binarisation_evaluates_as_before_on_grey_levels()
    {
        using var folder = new TempDirectory();
        var run = folder.File("vae");
        Assert.Equal(0, Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--out", run, "--quiet").Code);
        Assert.Equal(0, Run("eval", "--run", run, "--quiet").Code);
        var before = File.ReadAllText(Path.Combine(run, "eval.json"));
        var manifest = Path.Combine(run, "manifest.json");
        var text = File.ReadAllText(manifest);
        Assert.Contains("\"binarize\": \"none\",", text);
        File.WriteAllText(manifest, text.Replace("\"binarize\": \"none\",", ""));
        Assert.Equal(0, Run("eval", "--run", run, "--quiet").Code);
        Assert.Equal(before, File.ReadAllText(Path.Combine(run, "eval.json")));
        Assert.Equal(1, JsonDocument.Parse(before).RootElement.GetProperty("likelihood_quantity").GetDouble());
    }
}
