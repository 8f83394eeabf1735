using Latent.Reporting;
using Latent.Runs;
using Microsoft.Playwright;

namespace Latent.Tests.Reporting;

/// <summary>The comparison page read in Chromium at a laptop's width and a phone's: cards first, nothing wider than the screen, tables folded away.</summary>
public sealed class ReportLayoutTests
{
    [SkippableTheory]
    [InlineData(1366, 900)]
    [InlineData(390, 844)]
    public async Task The_comparison_page_shows_a_card_per_run_and_fits_the_screen(int width, int height)
    {
        await using var browser = await Browser.Launch(width, height);
        using var folder = new TempDirectory();
        string[] tiny = ["--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32", "--quiet"];
        Assert.Equal(0, Cli.CliRunner.Run(["train", .. tiny, "--model", "vae", "--latent-dim", "4", "--out", folder.File("vae")]).Code);
        Assert.Equal(0, Cli.CliRunner.Run(["train", .. tiny, "--model", "ae", "--latent-dim", "4", "--out", folder.File("ae")]).Code);
        Assert.Equal(0, Cli.CliRunner.Run(["pca", "--data", "shapes", "--limit", "300", "--components", "4", "--out", folder.File("pca"), "--quiet"]).Code);
        foreach (var run in new[] { "vae", "ae", "pca" }) Assert.Equal(0, Cli.CliRunner.Run("eval", "--run", folder.File(run), "--quiet").Code);
        var path = RunReport.Compare([RunDirectory.Open(folder.File("vae")), RunDirectory.Open(folder.File("ae")), RunDirectory.Open(folder.File("pca"))],
                                     folder.File("compare.html"));

        var page = await browser.Open(new Uri(path).AbsoluteUri);
        await page.WaitForFunctionAsync("() => document.body.dataset.decoded !== undefined");
        Assert.Equal(await page.EvaluateAsync<string>("() => document.body.dataset.images"), await page.EvaluateAsync<string>("() => document.body.dataset.decoded"));
        Assert.Equal(3, await page.Locator("article.card").CountAsync());
        // The plain AE is judged against the PCA run of the same size; PCA against its own optimum.
        var ae = page.Locator("article.card[data-card='ae']");
        Assert.Contains("PCA with 4 components (pca)", await ae.InnerTextAsync());
        Assert.Contains("−ELBO", await page.Locator("article.card[data-card='vae']").InnerTextAsync());
        // The full table is folded away, and has no per-dimension rows.
        Assert.False(await page.Locator("details table").First.IsVisibleAsync());
        Assert.DoesNotContain("kl_dim_", await page.Locator("details table").First.InnerHTMLAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
            $"the comparison page is wider than {width} px");
        // Unfolded, the table scrolls inside its box instead of widening the page.
        await page.Locator("details summary").First.ClickAsync();
        Assert.True(await page.Locator("details table").First.IsVisibleAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
            $"the unfolded table widens the page beyond {width} px");
        browser.AssertNoErrors();
    }
}
