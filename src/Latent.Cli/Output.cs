using Latent.Cli.CommandLine;
using Latent.Training;

namespace Latent.Cli;

/// <summary>Where a command talks: results to stdout, progress and warnings to stderr, nothing but errors with --quiet.</summary>
public sealed class Output(bool quiet) : ITrainingObserver
{
    readonly bool _interactive = !Console.IsErrorRedirected;
    DateTime _lastDraw = DateTime.MinValue;
    int _lastDecile = -1;

    public bool Quiet { get; } = quiet;

    public static Output From(Arguments arguments) => new(arguments.Flag("quiet"));

    /// <summary>A result line (suppressed by --quiet).</summary>
    public void Line(string text)
    {
        if (!Quiet) Console.Out.WriteLine(text);
    }

    public void OnWarning(string message) => Console.Error.WriteLine($"{ClearLine}warning: {message}");

    string ClearLine => _interactive ? "\r\u001b[2K" : "";

    /// <summary>A progress bar redrawn in place on a terminal; a line per tenth of an epoch otherwise.</summary>
    public void OnProgress(TrainingProgress p)
    {
        if (Quiet) return;
        double fraction = (double)p.BatchInEpoch / p.StepsPerEpoch;
        string text = $"{(p.Stage is null ? "" : p.Stage + " ")}epoch {p.Epoch + 1}/{p.Epochs} {Bar(fraction)} step {p.BatchInEpoch}/{p.StepsPerEpoch}  loss {p.Loss:G4}  {p.ExamplesPerSecond:F0} ex/s  ETA {Eta(p.Remaining)}";
        if (_interactive)
        {
            if ((DateTime.UtcNow - _lastDraw).TotalMilliseconds < 100 && p.BatchInEpoch < p.StepsPerEpoch) return;
            _lastDraw = DateTime.UtcNow;
            Console.Error.Write($"{ClearLine}{text}");
        }
        else
        {
            int decile = (int)(fraction * 10);
            if (decile == _lastDecile || decile == 10) return;
            _lastDecile = decile;
            Console.Error.WriteLine(text);
        }
    }

    public void OnEpoch(EpochMetrics metrics)
    {
        _lastDecile = -1;
        if (Quiet) return;
        var shown = metrics.Values.Where(pair => pair.Key is "train_loss" or "val_loss" || pair.Key.StartsWith("val_", StringComparison.Ordinal))
            .Select(pair => $"{pair.Key} {pair.Value:G5}");
        Console.Error.WriteLine($"{ClearLine}{(metrics.Stage is null ? "" : metrics.Stage + " ")}epoch {metrics.Epoch}  {string.Join("  ", shown)}  {metrics.Values.GetValueOrDefault("seconds"):F1} s{(metrics.IsBest ? "  (best)" : "")}");
    }

    static string Bar(double fraction)
    {
        int filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * 20);
        return "[" + new string('#', filled) + new string('.', 20 - filled) + "]";
    }

    static string Eta(TimeSpan remaining) =>
        remaining.TotalHours >= 1 ? $"{(int)remaining.TotalHours}h{remaining.Minutes:D2}m" : $"{remaining.Minutes}m{remaining.Seconds:D2}s";
}
