using Microsoft.Playwright;

namespace Latent.Tests.Explorer;

/// <summary>
/// The explorer used as a person would, in a real Chromium: click the map, drag a slider, give a VQ
/// cell another code, paint a mask; each must change the decoded image on the page, and the page
/// must log no console error on the way.
/// </summary>
[Collection(ExplorerCollection.Name)]
public sealed class ExplorerBrowserTests(ExplorerFixture fixture)
{
    /// <summary>A digest of the pixels an &lt;img&gt; shows, read back through a canvas.</summary>
    const string PixelDigest = """
        (image) => {
          const canvas = document.createElement('canvas');
          canvas.width = image.naturalWidth;
          canvas.height = image.naturalHeight;
          const context = canvas.getContext('2d');
          context.drawImage(image, 0, 0);
          const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
          let hash = 2166136261;
          for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ data[i], 16777619) >>> 0;
          return `${canvas.width}x${canvas.height}:${hash}`;
        }
        """;

    static ILocator Run(IPage page, int run) => page.Locator($"section[data-run='{run}']");

    /// <summary>How often the result image of a panel has loaded, and what it shows.</summary>
    static async Task<(int Loads, string Digest)> Result(IPage page, int run, string name)
    {
        var image = Run(page, run).Locator($"img[data-result='{name}']");
        int loads = int.Parse(await image.GetAttributeAsync("data-loads") ?? "0");
        return (loads, loads == 0 ? "" : await image.EvaluateAsync<string>(PixelDigest));
    }

    /// <summary>Waits until the panel's result image has loaded more than <paramref name="loads"/> times, and returns what it shows then.</summary>
    static async Task<string> NextResult(IPage page, int run, string name, int loads)
    {
        try
        {
            await page.WaitForFunctionAsync(
                "([run, name, loads]) => Number(document.querySelector(`section[data-run='${run}'] img[data-result='${name}']`)?.dataset.loads || 0) > loads",
                new object[] { run, name, loads }, new PageWaitForFunctionOptions { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            var panel = Run(page, run).Locator($"img[data-result='{name}']").Locator("xpath=ancestor::div[@data-panel]");
            Assert.Fail($"the {name} panel of run {run} showed no new image within 30 s; it says: {await panel.InnerTextAsync()}");
        }
        // Let a request queued behind this one land too, so that the image shows the last action.
        await page.WaitForTimeoutAsync(300);
        return (await Result(page, run, name)).Digest;
    }

    static async Task<IPage> OpenExplorer(Browser browser, string address)
    {
        var page = await browser.Open(address);
        await page.WaitForSelectorAsync("body[data-ready='true']", new PageWaitForSelectorOptions { Timeout = 60_000 });
        return page;
    }

    [SkippableFact]
    public async Task Clicking_the_map_decodes_the_point_clicked_and_another_point_decodes_another_image()
    {
        await using var browser = await Browser.Launch();
        var page = await OpenExplorer(browser, fixture.Server.Address.ToString());
        var map = Run(page, 0).Locator("canvas[data-control='map']");
        await Run(page, 0).Locator("canvas[data-control='map'][data-ready='true']").WaitForAsync();

        var (loads, _) = await Result(page, 0, "map");
        await map.ClickAsync(new LocatorClickOptions { Position = new Position { X = 60, Y = 80 } });
        var first = await NextResult(page, 0, "map", loads);
        await map.ClickAsync(new LocatorClickOptions { Position = new Position { X = 280, Y = 250 } });
        var second = await NextResult(page, 0, "map", loads + 1);
        Assert.NotEqual(first, second);

        // Hovering a point shows that example.
        await map.ScrollIntoViewIfNeededAsync();
        var box = (await map.BoundingBoxAsync())!;
        var point = await page.EvaluateAsync<double[]>("""
            async () => {
              const map = await (await fetch('/api/runs/0/map')).json();
              const [x0, x1] = [Math.min(...map.x), Math.max(...map.x)], [y0, y1] = [Math.min(...map.y), Math.max(...map.y)];
              const [mx, my] = [0.05 * (x1 - x0), 0.05 * (y1 - y0)];
              return [(map.x[0] - x0 + mx) / (x1 - x0 + 2 * mx), 1 - (map.y[0] - y0 + my) / (y1 - y0 + 2 * my)];
            }
            """);
        await page.Mouse.MoveAsync((float)(box.X + point[0] * box.Width), (float)(box.Y + point[1] * box.Height));
        var tooltip = page.Locator(".tooltip:visible");
        await tooltip.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        Assert.Contains("#", await tooltip.InnerTextAsync());
        browser.AssertNoErrors();
    }

    [SkippableFact]
    public async Task Dragging_a_slider_changes_the_decoded_image()
    {
        await using var browser = await Browser.Launch();
        var page = await OpenExplorer(browser, fixture.Server.Address.ToString());
        await Run(page, 0).Locator(".sliders[data-ready='true']").WaitForAsync();
        var before = await NextResult(page, 0, "sliders", 0);   // the example's own code, decoded on load
        var (loads, _) = await Result(page, 0, "sliders");

        var slider = Run(page, 0).Locator(".sliders input[type=range]").First;
        await slider.ScrollIntoViewIfNeededAsync();
        var box = (await slider.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + 4, box.Y + box.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width - 4, box.Y + box.Height / 2, new MouseMoveOptions { Steps = 8 });
        await page.Mouse.UpAsync();
        var after = await NextResult(page, 0, "sliders", loads);
        Assert.NotEqual(before, after);
        Assert.Matches(@"decoded in \d+\.\d ms", await Run(page, 0).Locator("[data-panel='sliders'] .timing").InnerTextAsync());
        browser.AssertNoErrors();
    }

    [SkippableFact]
    public async Task Giving_a_vq_cell_another_code_decodes_the_changed_grid()
    {
        await using var browser = await Browser.Launch();
        var page = await OpenExplorer(browser, fixture.Server.Address.ToString());
        var run = Run(page, 1);
        await run.Locator(".codegrid[data-ready='true']").WaitForAsync();
        var before = await NextResult(page, 1, "codes", 0);
        var (loads, _) = await Result(page, 1, "codes");

        var cell = run.Locator(".codegrid button[data-position='3']");
        await cell.ClickAsync();
        int code = int.Parse(await cell.InnerTextAsync());
        int other = (code + 7) % 16;
        await run.Locator("input[data-control='code']").FillAsync(other.ToString());
        await run.Locator("input[data-control='code']").PressAsync("Enter");
        var after = await NextResult(page, 1, "codes", loads);
        Assert.Equal(other.ToString(), await cell.InnerTextAsync());
        Assert.Contains("changed", await cell.GetAttributeAsync("class") ?? "");
        Assert.NotEqual(before, after);
        browser.AssertNoErrors();
    }

    [SkippableFact]
    public async Task Painting_a_mask_over_the_example_shows_the_fill_in()
    {
        await using var browser = await Browser.Launch();
        var page = await OpenExplorer(browser, fixture.Server.Address.ToString());
        var canvas = Run(page, 2).Locator("canvas[data-control='paint']");
        await Run(page, 2).Locator("canvas[data-control='paint'][data-ready='true']").WaitForAsync();
        // The panels above it grow as their images arrive: let them, then measure where the canvas is before each stroke.
        foreach (var name in new[] { "sliders", "walk", "sample" }) await NextResult(page, 2, name, 0);

        async Task Stroke(double fromX, double toX, double y)
        {
            await canvas.ScrollIntoViewIfNeededAsync();
            var box = (await canvas.BoundingBoxAsync())!;
            await page.Mouse.MoveAsync((float)(box.X + fromX * box.Width), (float)(box.Y + y * box.Height));
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync((float)(box.X + toX * box.Width), (float)(box.Y + y * box.Height), new MouseMoveOptions { Steps = 6 });
            await page.Mouse.UpAsync();
        }
        await Stroke(0.2, 0.8, 0.5);
        var first = await NextResult(page, 2, "paint", 0);
        Assert.StartsWith("67x34:", first);   // what the model saw beside its fill-in, in a one-pixel frame
        await Stroke(0.1, 0.9, 0.25);
        var second = await NextResult(page, 2, "paint", 1);
        Assert.NotEqual(first, second);
        browser.AssertNoErrors();
    }

    [SkippableFact]
    public async Task Every_panel_of_every_run_loads_without_a_console_error_and_fits_a_phone()
    {
        await using var browser = await Browser.Launch(390, 844);
        var page = await OpenExplorer(browser, fixture.Server.Address.ToString());
        foreach (var (run, name) in new[] { (0, "walk"), (0, "sample"), (1, "sample"), (1, "walk"), (2, "sliders") })
            await NextResult(page, run, name, 0);
        // Choosing another example moves every panel that starts from it.
        var (loads, walkBefore) = await Result(page, 0, "walk");
        await Run(page, 0).Locator("input[data-control='example']").FillAsync("5");
        await Run(page, 0).Locator("input[data-control='example']").PressAsync("Enter");
        Assert.NotEqual(walkBefore, await NextResult(page, 0, "walk", loads));
        // Nothing is wider than the phone's screen.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
            "the page is wider than a 390 px screen");
        browser.AssertNoErrors();
    }
}
