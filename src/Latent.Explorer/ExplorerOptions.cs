using System.Net;

namespace Latent.Explorer;

/// <summary>What <c>latent explore</c> serves, and where.</summary>
public sealed record ExplorerOptions
{
    /// <summary>The run directories to explore, side by side on one page.</summary>
    public required IReadOnlyList<string> Runs { get; init; }

    /// <summary>The address to listen on: the loopback interface by default, so that only this machine can reach it.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port to listen on; 0 picks any free one.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>Take the test examples from this data spec instead of each run's own (same shape).</summary>
    public string? Data { get; init; }

    /// <summary>Throws a <see cref="UserInputException"/> when the options cannot work.</summary>
    public void Validate()
    {
        if (Runs.Count == 0) throw new UserInputException("'latent explore' needs a run; pass --run DIR (several for side by side)");
        if (Runs.Count > 8) throw new UserInputException($"{Runs.Count} runs do not fit side by side on one page; pass at most 8");
        if (Port is < 0 or > 65535) throw new UserInputException($"--port {Port} is not a port; pass 1 to 65535, or 0 for any free port");
        Address();
    }

    /// <summary>The <see cref="Host"/> as an IP address (<c>localhost</c> is the loopback address).</summary>
    public IPAddress Address() =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(Host, out var address) ? address
        : throw new UserInputException($"--host '{Host}' is not an IP address; pass 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)");
}
