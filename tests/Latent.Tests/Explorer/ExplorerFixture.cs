using Latent.Explorer;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Explorer;

/// <summary>
/// Three tiny runs trained once with the in-process command line on <c>shapes</c> (a plain AE with
/// D = 4, an MLP VQ-VAE with 8 slots of K = 16 codes and its prior, a masking DAE), and one explorer
/// serving them side by side on a free loopback port.
/// </summary>
public sealed class ExplorerFixture : IAsyncLifetime
{
    readonly TempDirectory _folder = new();

    public ExplorerServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string Plain => _folder.File("ae");
    public string Discrete => _folder.File("vq");
    public string Denoising => _folder.File("dae");

    /// <summary>Where the runs live, for tests that need more of them.</summary>
    public TempDirectory Folder => _folder;

    /// <summary>What the server said while opening the runs.</summary>
    public List<string> Said { get; } = [];

    public async Task InitializeAsync()
    {
        string[] tiny = ["--data", "shapes", "--limit", "400", "--epochs", "2", "--hidden", "32", "--quiet"];
        Train([.. tiny, "--model", "ae", "--latent-dim", "4", "--out", Plain]);
        Train([.. tiny, "--model", "vqvae", "--latent-dim", "4", "--slots", "8", "--codebook-size", "16",
               "--prior-epochs", "1", "--prior-width", "8", "--prior-layers", "1", "--out", Discrete]);
        Train([.. tiny, "--model", "dae", "--latent-dim", "16", "--noise", "mask:0.5", "--out", Denoising]);
        Server = await ExplorerServer.StartAsync(new ExplorerOptions { Runs = [Plain, Discrete, Denoising], Port = 0 }, Said.Add);
        Http = new HttpClient { BaseAddress = Server.Address };
    }

    static void Train(string[] args)
    {
        var result = Run(["train", .. args]);
        Assert.True(result.Code == 0, $"training a test run failed: {result.Error}");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        _folder.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ExplorerCollection : ICollectionFixture<ExplorerFixture>
{
    public const string Name = "explorer";
}
