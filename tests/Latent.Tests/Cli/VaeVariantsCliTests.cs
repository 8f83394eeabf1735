using System.Text.Json;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>The VAE's variants from the command line: their loss terms in metrics.jsonl, the manifest, eval, sampling and the refusals.</summary>
public sealed class VaeVariantsCliTests
{
    static JsonElement LastEpoch(string run) => JsonDocument.Parse(File.ReadLines(Path.Combine(run, "metrics.jsonl")).Last()).RootElement;

    [Fact]
    public void A_tcvae_and_a_capacity_vae_log_their_terms_and_record_their_options()
    {
        using var folder = new TempDirectory();
        var tc = folder.File("tc");
        Assert.Equal(0, Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--latent-dim", "4",
                            "--regulariser", "total-correlation", "--tc-weight", "4", "--out", tc, "--quiet").Code);
        var metrics = LastEpoch(tc);
        foreach (var key in new[] { "train_mi", "train_tc", "train_dim_kl", "val_tc", "val_kl", "active_units" })
            Assert.True(metrics.TryGetProperty(key, out _), key);
        var manifest = File.ReadAllText(Path.Combine(tc, "manifest.json")).Replace(" ", "", StringComparison.Ordinal);
        Assert.Contains("\"tc_weight\":4", manifest);
        Assert.Contains("\"regulariser\":\"total_correlation\"", manifest);
        Assert.DoesNotContain("\"beta\"", manifest);
        Assert.DoesNotContain("\"pseudo_inputs\"", manifest);

        var capacity = folder.File("capacity");
        Assert.Equal(0, Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--latent-dim", "4",
                            "--regulariser", "capacity", "--capacity-max", "5", "--capacity-epochs", "2", "--out", capacity, "--quiet").Code);
        // The first epoch's batches average C while it rises from 0 towards 2.5; validation uses C_max.
        Assert.InRange(LastEpoch(capacity).GetProperty("train_capacity").GetDouble(), 0.01, 2.49);
        Assert.Equal(5, LastEpoch(capacity).GetProperty("val_capacity").GetDouble(), 3);
    }

    [Fact]
    public void A_vamp_prior_vae_trained_with_importance_samples_evaluates_samples_and_refuses_export()
    {
        using var folder = new TempDirectory();
        var run = folder.File("vamp");
        Assert.Equal(0, Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--latent-dim", "4",
                            "--prior", "vamp", "--pseudo-inputs", "20", "--train-samples", "3", "--out", run, "--quiet").Code);
        Assert.True(LastEpoch(run).TryGetProperty("train_iwae", out _));
        Assert.Equal(0, Run("eval", "--run", run, "--iwae-samples", "8", "--quiet").Code);
        var eval = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))).RootElement;
        Assert.True(eval.GetProperty("iwae_nll_nats").GetDouble() <= eval.GetProperty("test_neg_elbo_nats").GetDouble() + 1);
        Assert.Equal(0, Run("sample", "--run", run, "--count", "9", "--out", folder.File("s.png")).Code);
        Assert.True(new FileInfo(folder.File("s.png")).Length > 500);
        AssertUsageError(Run("export", "--run", run, "--out", folder.File("onnx")), "--prior vamp");
        Assert.False(Directory.Exists(folder.File("onnx")));
    }

    [Fact]
    public void Variant_options_that_cannot_work_are_one_line_errors_and_leave_no_run()
    {
        using var folder = new TempDirectory();
        var run = folder.File("bad");
        string[] common = ["train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--out", run];
        AssertUsageError(Run([.. common, "--prior", "vamp", "--pseudo-inputs", "5000"]), "--pseudo-inputs 5000 exceeds the");
        AssertUsageError(Run([.. common, "--regulariser", "total-correlation", "--tc-weight", "-2"]), "--tc-weight -2 must be zero or positive");
        AssertUsageError(Run([.. common, "--regulariser", "total-correlation", "--beta", "4"]), "--beta does not apply");
        AssertUsageError(Run([.. common, "--train-samples", "0"]), "--train-samples 0 must be at least 1");
        Assert.False(Directory.Exists(run));

        var help = Run("train", "--model", "vae", "--help");
        Assert.Equal(0, help.Code);
        foreach (var (option, condition) in new[] { ("--tc-weight", "with --regulariser total-correlation"), ("--capacity-max", "with --regulariser capacity"), ("--pseudo-inputs", "with --prior vamp") })
            Assert.Contains(help.Output.Split('\n'), line => line.TrimStart().StartsWith(option, StringComparison.Ordinal) && line.Contains(condition, StringComparison.Ordinal));
    }
}
