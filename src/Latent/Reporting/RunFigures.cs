using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>The standard pictures of a run.</summary>
public static class RunFigures
{
    /// <summary>
    /// The first <paramref name="count"/> examples (rows of originals) above their reconstructions.
    /// Image data only; returns false for tables and tokens, which have no picture.
    /// </summary>
    public static bool SaveReconstructions(string path, Autoencoder model, Dataset data, int count = 32, int columns = 8)
    {
        if (data.Shape.Kind != DataKind.Image) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var originals = data.Features.narrow(0, 0, Math.Min(count, data.Count));
        var reconstructions = model.Reconstruct(originals);
        ImageGrid.Save(path, ImageGrid.Pairs(originals, reconstructions, columns), columns, scale: 2);
        return true;
    }

    /// <summary>
    /// Samples from a generative model (samples.png) and, for a 2-D latent space, the encoded test
    /// points by label (latent-scatter.png) and the decoded latent grid (latent-manifold.png).
    /// </summary>
    public static void SaveLatentFigures(Func<string, string> file, Autoencoder model, Dataset test)
    {
        LatentFigures.SaveSamples(file("samples.png"), model);
        LatentFigures.SaveScatter(file("latent-scatter.png"), model, test);
        LatentFigures.SaveManifold(file("latent-manifold.png"), model, test);
    }

    /// <summary>Train and validation loss per epoch, from metrics.jsonl, one line per logged loss term.</summary>
    public static bool SaveLossCurves(string path, string metricsPath)
    {
        var rows = Runs.MetricsLog.Read(metricsPath);
        if (rows.Count == 0) return false;
        var epochs = rows.Select(row => row["epoch"]).ToArray();
        var keys = rows[0].Keys.Where(key => key.StartsWith("train_", StringComparison.Ordinal) || key.StartsWith("val_", StringComparison.Ordinal));
        var series = keys.Select(key => (key, epochs, rows.Select(row => row.GetValueOrDefault(key, double.NaN)).ToArray()))
                         .Where(s => s.Item3.All(double.IsFinite) && s.Item3.All(v => v > 0)).ToList();
        // A family with a single term logs it twice (as the loss and by name): draw it once.
        series = series.Where(s => !series.Any(other => other.key != s.key && other.key.EndsWith("_loss", StringComparison.Ordinal)
                                                    && other.key[..other.key.IndexOf('_')] == s.key[..s.key.IndexOf('_')]
                                                    && other.Item3.SequenceEqual(s.Item3))).ToList();
        Plots.Lines(path, "Loss per epoch", "epoch", "loss (log scale)", series, logY: true);
        return true;
    }
}
