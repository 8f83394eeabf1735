using Microsoft.Playwright;

namespace Latent.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright: never a browser of Playwright's own (nothing is downloaded),
/// with the flags this closed network needs and a fresh profile each time. <see cref="Launch"/>
/// skips the test, saying why, only when no browser can be started.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    readonly IPlaywright _playwright;
    readonly TempDirectory _profile;

    Browser(IPlaywright playwright, IBrowserContext context, TempDirectory profile)
    {
        _playwright = playwright;
        Context = context;
        _profile = profile;
    }

    /// <summary>The browser's one context (its fresh profile).</summary>
    public IBrowserContext Context { get; }

    /// <summary>Console errors and uncaught exceptions of every page opened, as they happen.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Starts Chromium at the given window size, or skips the test when it cannot be started.</summary>
    public static async Task<Browser> Launch(int width = 1366, int height = 900)
    {
        Skip.IfNot(File.Exists(Chromium), $"no browser: {Chromium} is missing (apt-get install chromium)");
        var profile = new TempDirectory();
        IPlaywright? playwright = null;
        try
        {
            playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.Path, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = Flags,
                ViewportSize = new ViewportSize { Width = width, Height = height },
                Timeout = 60_000,
            });
            return new Browser(playwright, context, profile);
        }
        catch (PlaywrightException error)
        {
            playwright?.Dispose();
            profile.Dispose();
            throw new SkipException($"no browser could be started ({error.Message.Split('\n')[0]}); install Debian's chromium");
        }
    }

    /// <summary>A new page whose console errors and page errors are collected into <see cref="Errors"/>.</summary>
    public async Task<IPage> Open(string address)
    {
        var page = await Context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type == "error") Errors.Add($"console: {message.Text}"); };
        page.PageError += (_, error) => Errors.Add($"page error: {error}");
        await page.GotoAsync(address);
        return page;
    }

    /// <summary>Fails, listing them, when any page logged a console error or threw.</summary>
    public void AssertNoErrors() => Assert.True(Errors.Count == 0, "the page logged errors:\n" + string.Join("\n", Errors));

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        _playwright.Dispose();
        _profile.Dispose();
    }
}
