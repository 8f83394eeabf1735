using System.Text.Json;
using Latent.Tests.Evaluation.Disentanglement;
using Xunit.Abstractions;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>`latent eval --disentanglement` and `--sample-quality` end to end, their figures, and their one-line refusals.</summary>
public sealed class MeasuresCliTests(ITestOutputHelper output)
{
    static JsonElement Eval(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "eval.json"))).RootElement;

    static string TrainShapesVae(TempDirectory folder, int latentDim = 4)
    {
        var run = folder.File("vae");
        Assert.Equal(0, Run("train", "--model", "vae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                            "--latent-dim", latentDim.ToString(), "--out", run, "--quiet").Code);
        return run;
    }

    [Fact]
    public void A_shapes_vae_is_scored_for_disentanglement_and_its_report_shows_traversals_and_importances()
    {
        using var folder = new TempDirectory();
        var run = TrainShapesVae(folder);
        var result = Run("eval", "--run", run, "--disentanglement");
        Assert.True(result.Code == 0, result.Error);
        var eval = Eval(run);
        foreach (var key in new[] { "mig", "dci_disentanglement", "dci_completeness", "dci_informativeness", "sap" })
            Assert.InRange(eval.GetProperty(key).GetDouble(), 0, 1);
        Assert.True(eval.TryGetProperty("test_neg_elbo_nats", out _), "the other figures are still there");
        var details = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "disentanglement.json"))).RootElement;
        Assert.Equal(2000, details.GetProperty("examples").GetInt32());
        Assert.Equal(1334, details.GetProperty("fit_examples").GetInt32());
        Assert.Equal(4, details.GetProperty("dci_importance").GetArrayLength());
        var csv = File.ReadAllLines(Path.Combine(run, "disentanglement-codes.csv"));
        Assert.Equal("z0,z1,z2,z3,shape,scale,rotation,x,y,scale_value,rotation_value,x_value,y_value", csv[0]);
        Assert.Equal(2001, csv.Length);

        Assert.Equal(0, Run("report", "--run", run, "--quiet").Code);
        foreach (var figure in new[] { "latent-traversals.png", "dci-importance.png" })
            Assert.True(new FileInfo(Path.Combine(run, figure)).Length > 1000, figure);
        Assert.Contains("DCI importance", File.ReadAllText(Path.Combine(run, "report.html")));
    }

    [SkippableFact]
    public void A_real_runs_figures_agree_with_scikit_learn_recomputing_them_from_its_csv()
    {
        var (code, _) = DisentanglementReferenceTests.Run(["-c", "import sklearn, scipy, numpy"]);
        Skip.If(code != 0, "Debian's python3-sklearn is not installed (apt-get install python3-sklearn)");
        using var folder = new TempDirectory();
        var run = TrainShapesVae(folder, latentDim: 3);
        Assert.Equal(0, Run("eval", "--run", run, "--disentanglement", "--quiet").Code);
        var reference = DisentanglementReferenceTests.Reference(Path.Combine(run, "disentanglement-codes.csv"));
        // The classes in the CSV follow from the raw factor values by the documented rule.
        foreach (var mismatch in reference.GetProperty("factor_mismatches").EnumerateObject()) Assert.Equal(0, mismatch.Value.GetInt32());
        var eval = Eval(run);
        output.WriteLine(string.Join(", ", new[] { "mig", "dci_disentanglement", "dci_completeness", "dci_informativeness", "sap" }
            .Select(key => $"{key} {eval.GetProperty(key).GetDouble():F4} / {reference.GetProperty(key).GetDouble():F4}")));
        Assert.Equal(reference.GetProperty("mig").GetDouble(), eval.GetProperty("mig").GetDouble(), 1e-9);
        Assert.Equal(reference.GetProperty("sap").GetDouble(), eval.GetProperty("sap").GetDouble(), 2.0 / 666);
        foreach (var key in new[] { "dci_disentanglement", "dci_completeness", "dci_informativeness" })
            Assert.Equal(reference.GetProperty(key).GetDouble(), eval.GetProperty(key).GetDouble(), 0.02);
    }

    [Fact]
    public void Samples_of_a_shapes_vae_and_of_a_mixture_over_an_autoencoders_codes_are_scored_against_the_test_split()
    {
        using var folder = new TempDirectory();
        var run = TrainShapesVae(folder);
        var result = Run("eval", "--run", run, "--sample-quality", "--sample-baselines");
        Assert.True(result.Code == 0, result.Error);
        var eval = Eval(run);
        Assert.Equal(2000, eval.GetProperty("sample_count").GetDouble());
        Assert.Equal(2, eval.GetProperty("sample_feature_space").GetDouble());        // the shapes network
        foreach (var key in new[] { "sample_precision", "sample_recall", "train_split_precision", "train_split_recall" })
            Assert.InRange(eval.GetProperty(key).GetDouble(), 0, 1);
        double samples = eval.GetProperty("sample_fd").GetDouble(), train = eval.GetProperty("train_split_fd").GetDouble();
        double noise = eval.GetProperty("baseline_fd_noise").GetDouble();
        output.WriteLine($"fd: samples {samples:G4}, training split {train:G4}, halves {eval.GetProperty("baseline_fd_test_halves").GetDouble():G4}, noise {noise:G4}");
        Assert.True(train < samples && samples < noise, "a one-epoch VAE lies between the data and noise");

        var ae = folder.File("ae");
        Assert.Equal(0, Run("train", "--model", "ae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                            "--latent-dim", "4", "--out", ae, "--quiet").Code);
        AssertUsageError(Run("eval", "--run", ae, "--sample-quality"), "pass --sampler gmm (or gaussian)");
        Assert.Equal(0, Run("eval", "--run", ae, "--sample-quality", "--sampler", "gmm", "--components", "3", "--quiet").Code);
        Assert.True(File.Exists(Path.Combine(ae, "sampler-gmm-3.safetensors")), "the fitted mixture is kept, as 'latent sample' keeps it");
        Assert.True(Eval(ae).GetProperty("sample_fd").GetDouble() > 0);
    }

    [Fact]
    public void Measures_that_do_not_apply_are_one_line_errors_that_leave_the_run_untouched()
    {
        using var folder = new TempDirectory();
        var table = folder.File("t.csv");
        File.WriteAllText(table, "a,b,c,d\n" + string.Concat(Enumerable.Range(0, 80).Select(i => $"{i % 7},{(i * i) % 11},{i % 3},{(i * 5) % 13}\n")));
        var run = folder.File("pca");
        Assert.Equal(0, Run("pca", "--data", $"csv:{table}", "--components", "2", "--out", run, "--quiet").Code);

        AssertUsageError(Run("eval", "--run", run, "--disentanglement"), "needs data with known generative factors");
        AssertUsageError(Run("eval", "--run", run, "--sample-quality"), "a pca model has no prior to sample from");
        AssertUsageError(Run("eval", "--run", run, "--sampler", "gmm"), "--sampler and --components choose the samples of --sample-quality");
        AssertUsageError(Run("eval", "--run", run, "--sample-baselines"), "--sample-baselines goes with --sample-quality");
        AssertUsageError(Run("eval", "--run", run, "--sample-quality", "--sampler", "gmm", "--components", "0"), "--components 0 must be from 1 to 1000");
        Assert.False(File.Exists(Path.Combine(run, "eval.json")));

        // A table is scored in its standardised features, with a Gaussian fitted to the codes as the sampler.
        Assert.Equal(0, Run("eval", "--run", run, "--sample-quality", "--sampler", "gaussian", "--quiet").Code);
        Assert.Equal(4, Eval(run).GetProperty("sample_feature_space").GetDouble());
    }
}
