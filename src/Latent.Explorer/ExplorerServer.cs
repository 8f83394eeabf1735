using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Latent.Explorer;

/// <summary>
/// The explorer's web server (ASP.NET Core's Kestrel): opens the runs, then serves the page and its
/// API on one address. It handles no signals itself; whoever starts it stops it (the command line on
/// Ctrl-C or SIGTERM).
/// </summary>
public sealed class ExplorerServer : IAsyncDisposable
{
    /// <summary>Largest request body accepted, in bytes (a painted mask of a 256×256 image is 64 KiB).</summary>
    public const long MaxRequestBytes = 1 << 20;

    readonly WebApplication _app;
    readonly IReadOnlyList<ExploredRun> _runs;

    ExplorerServer(WebApplication app, IReadOnlyList<ExploredRun> runs, Uri address)
    {
        _app = app;
        _runs = runs;
        Address = address;
    }

    /// <summary>The address the page is served at, e.g. <c>http://127.0.0.1:8000/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The runs being explored, in page order.</summary>
    public IReadOnlyList<ExploredRun> Runs => _runs;

    /// <summary>
    /// Opens every run (summarising its test codes, from the cache when it can) and starts listening.
    /// A bad run, a bad option or a taken port is a <see cref="UserInputException"/>, and nothing is left running.
    /// </summary>
    public static async Task<ExplorerServer> StartAsync(ExplorerOptions options, Action<string> say)
    {
        options.Validate();
        var address = options.Address();
        var gate = new ModelGate();
        var names = options.Runs.Select(path => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)))).ToList();
        names = names.Select((name, i) => names.Count(other => other == name) > 1 ? $"{name} ({i + 1})" : name).ToList();
        var runs = new List<ExploredRun>();
        try
        {
            for (int i = 0; i < options.Runs.Count; i++) runs.Add(ExploredRun.Open(i, names[i], options.Runs[i], options.Data, gate, say));

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ExplorerServer).Assembly.GetName().Name });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = MaxRequestBytes;
                kestrel.Listen(address, options.Port);
            });
            var app = builder.Build();
            ExplorerApi.Map(app, runs, say);
            try
            {
                await app.StartAsync();
            }
            catch (IOException error) when (error.InnerException is SocketException || error.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
            {
                await app.DisposeAsync();
                throw new UserInputException($"cannot listen on {address}:{options.Port} ({error.InnerException?.Message ?? error.Message}); pass another --port, or --port 0 for any free one");
            }
            var bound = new Uri(app.Urls.First());
            // Listening on every interface: show the loopback address, which works on this machine.
            var shown = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? new UriBuilder(bound) { Host = "127.0.0.1" }.Uri : bound;
            return new ExplorerServer(app, runs, shown);
        }
        catch
        {
            foreach (var run in runs) run.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the server stops, or <paramref name="cancel"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    /// <summary>Stops listening, lets requests in flight finish (up to a few seconds) and frees the models.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        foreach (var run in _runs) run.Dispose();
    }

    /// <summary>A host lifetime that hooks no console signals: the library never decides when the process ends.</summary>
    sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
