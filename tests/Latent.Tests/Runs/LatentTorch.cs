using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Latent.Tests.Runs;

/// <summary>
/// Runs the Python package python/latent_torch with Debian's python3-torch: <c>/usr/bin/python3 -m MODULE</c>,
/// or the same module under <c>/usr/bin/torchrun</c> with several CPU processes.
/// </summary>
public static class LatentTorch
{
    const string Python = "/usr/bin/python3";
    const string TorchRun = "/usr/bin/torchrun";
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    /// <summary>The repository's python/ folder, which holds the package.</summary>
    public static readonly string PackageRoot = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../python"));

    static readonly Lazy<bool> Installed = new(() => File.Exists(Python) && Start(Python, ["-c", "import torch, numpy"]).ExitCode == 0);

    /// <summary>Whether /usr/bin/python3 imports torch and numpy.</summary>
    public static bool TorchInstalled => Installed.Value;

    /// <summary>Whether torchrun is there too.</summary>
    public static bool TorchRunInstalled => TorchInstalled && File.Exists(TorchRun);

    public const string InstallHint = "Debian's python3-torch is not installed (apt-get install python3-torch)";

    /// <summary><c>python3 -m module args</c>: exit code and everything printed.</summary>
    public static (int ExitCode, string Output) Module(string module, params string[] args) => Start(Python, ["-m", module, .. args]);

    /// <summary>
    /// <c>torchrun --nproc_per_node N --master_port P -m module args</c> on a loopback port that was free a moment ago
    /// (not --standalone: its fixed port 29400 may belong to someone else's rendezvous on a shared machine).
    /// Debian's torchrun 1.13 on Python 3.11 fails with its default --redirects 0, so stdout is redirected and teed.
    /// </summary>
    public static (int ExitCode, string Output) Distributed(int processes, string module, params string[] args) =>
        Start(TorchRun, ["--nproc_per_node", processes.ToString(CultureInfo.InvariantCulture), "--master_addr", "127.0.0.1",
                         "--master_port", FreePort().ToString(CultureInfo.InvariantCulture), "--redirects", "1", "--tee", "1", "-m", module, .. args]);

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    static (int ExitCode, string Output) Start(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["PYTHONPATH"] = PackageRoot;
        info.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{program} timed out after {Timeout}");
        }
        return (process.ExitCode, output.Result + error.Result);
    }
}
