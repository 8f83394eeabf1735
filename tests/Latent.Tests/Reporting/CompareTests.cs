using Latent.Reporting;
using Latent.Runs;

namespace Latent.Tests.Reporting;

/// <summary>The comparison page draws each run's figures afresh, unless told they were just drawn.</summary>
public sealed class CompareTests
{
    [Fact]
    public void The_comparison_redraws_the_figures_unless_told_they_are_fresh()
    {
        using var folder = new TempDirectory();
        string[] tiny = ["--data", "shapes", "--limit", "200", "--epochs", "1", "--hidden", "16", "--latent-dim", "4", "--quiet"];
        Assert.Equal(0, Cli.CliRunner.Run(["train", .. tiny, "--model", "ae", "--out", folder.File("ae")]).Code);
        Assert.Equal(0, Cli.CliRunner.Run(["pca", "--data", "shapes", "--limit", "200", "--components", "4", "--out", folder.File("pca"), "--quiet"]).Code);
        foreach (var run in new[] { "ae", "pca" }) Assert.Equal(0, Cli.CliRunner.Run("eval", "--run", folder.File(run), "--quiet").Code);
        var runs = new[] { RunDirectory.Open(folder.File("ae")), RunDirectory.Open(folder.File("pca")) };
        var figure = runs[0].File("reconstructions.png");

        RunReport.Compare(runs, folder.File("compare.html"));
        Assert.True(File.Exists(figure));
        File.Delete(figure);
        RunReport.Compare(runs, folder.File("fresh.html"), drawFigures: false);
        Assert.False(File.Exists(figure));
        Assert.Contains("article", File.ReadAllText(folder.File("fresh.html")));
        RunReport.Compare(runs, folder.File("compare.html"));
        Assert.True(File.Exists(figure));
    }
}
