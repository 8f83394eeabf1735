using System.Diagnostics;

namespace Latent.Explorer;

/// <summary>
/// The single door to the models: TorchSharp modules are not thread-safe and sampling seeds torch's
/// global generator, so the explorer runs one model call at a time, for all its runs together, and
/// times each one (the latency a page shows beside a decoded image).
/// </summary>
public sealed class ModelGate
{
    readonly object _lock = new();

    /// <summary>Runs <paramref name="call"/> alone; returns its result and the milliseconds it took (waiting excluded).</summary>
    public (T Result, double Milliseconds) Run<T>(Func<T> call)
    {
        lock (_lock)
        {
            var watch = Stopwatch.StartNew();
            var result = call();
            return (result, watch.Elapsed.TotalMilliseconds);
        }
    }
}
