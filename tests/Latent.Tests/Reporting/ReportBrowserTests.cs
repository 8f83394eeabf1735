using Latent.Families;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.VectorQuantized;
using Latent.Reporting;
using Latent.Runs;
using Latent.Workflows;
using Latent.Training;

namespace Latent.Tests.Reporting;

/// <summary>Reports are opened in a real browser (Debian's headless Chromium): every image must decode, no figure may be missing.</summary>
public sealed class ReportBrowserTests
{
    const string Chromium = "/usr/bin/chromium";

    /// <summary>The page's &lt;body&gt; after load, as Chromium sees it, and the figures it holds.</summary>
    static (int Images, int Decoded, string Broken, string[] Figures) Open(string path)
    {
        using var profile = new TempDirectory();
        var info = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     $"--user-data-dir={profile.Path}", "--virtual-time-budget=5000", "--dump-dom", new Uri(path).AbsoluteUri })
            info.ArgumentList.Add(arg);
        using var browser = Process.Start(info)!;
        var dom = browser.StandardOutput.ReadToEnd();
        browser.WaitForExit();
        var body = Regex.Match(dom, "<body data-images=\"(\\d+)\" data-decoded=\"(\\d+)\" data-broken=\"([^\"]*)\"");
        Assert.True(body.Success, "the page's load script did not run; Chromium printed: " + dom[..Math.Min(300, dom.Length)]);
        var figures = Regex.Matches(dom, "data-figure=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToArray();
        return (int.Parse(body.Groups[1].Value), int.Parse(body.Groups[2].Value), body.Groups[3].Value, figures);
    }

    static RunDirectory TrainSmallRun(string path, string family = "ae")
    {
        var options = ModelCatalog.Find(family).DefaultOptions() with { Arch = Architecture.Mlp, Hidden = [32], LatentDim = 4 };
        if (options is VqOptions vq) options = vq with { CodebookSize = 16, PriorEpochs = 1 };
        var run = TrainingRun.Start(new TrainRequest(options,
            new Latent.Data.DataOptions { Data = "shapes", Limit = 400 }, new TrainingOptions { Epochs = 2 }, path), SilentObserver.Instance);
        var manifest = run.ReadManifest();
        using var model = run.LoadModel(manifest);
        var figures = Evaluator.Evaluate(model, RunData.Load(manifest, manifest.Data, DataSplit.Test), new EvaluationOptions());
        AtomicFile.WriteAllText(run.EvalPath, System.Text.Json.JsonSerializer.Serialize(figures, Json.Options));
        return run;
    }

    [SkippableTheory]
    [InlineData("ae", new[] { "loss", "reconstructions", "interpolations", "latent-space" })]
    [InlineData("vae", new[] { "loss", "reconstructions", "samples", "interpolations", "latent-space", "kl-per-dimension" })]
    [InlineData("vqvae", new[] { "loss", "reconstructions", "samples", "interpolations", "latent-space", "codebook-usage" })]
    public void A_run_report_shows_every_figure_decoded_in_chromium(string family, string[] expected)
    {
        Skip.IfNot(File.Exists(Chromium), "Chromium is not installed (apt-get install chromium)");
        using var folder = new TempDirectory();
        var run = TrainSmallRun(folder.File("run"), family);
        var page = Open(RunReport.Write(run));
        Assert.Equal("", page.Broken);
        Assert.Equal(page.Images, page.Decoded);
        Assert.Equal(page.Figures.Length, page.Images);
        Assert.Subset(page.Figures.ToHashSet(), expected.ToHashSet());
        Assert.Contains("test_psnr_db", File.ReadAllText(run.File("report.html")));
    }

    [SkippableFact]
    public void A_comparison_report_shows_both_runs()
    {
        Skip.IfNot(File.Exists(Chromium), "Chromium is not installed (apt-get install chromium)");
        using var folder = new TempDirectory();
        var runs = new[] { TrainSmallRun(folder.File("one")), TrainSmallRun(folder.File("two")) };
        var page = Open(RunReport.Compare(runs, folder.File("compare.html")));
        Assert.Equal("", page.Broken);
        Assert.Equal(page.Images, page.Decoded);
        Assert.Contains("one/reconstructions", page.Figures);
        Assert.Contains("two/reconstructions", page.Figures);
    }
}
