using Latent.Data;
using Latent.Models;
using Latent.Models.VectorQuantized;
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

    /// <summary>
    /// A VQ-VAE's codebook usage on <paramref name="data"/>: the share of all assignments each code
    /// receives, codes ranked from most to least used (a long flat tail of zeros is dead codes).
    /// Returns false for models without a codebook.
    /// </summary>
    public static bool SaveCodebookUsage(string path, Autoencoder model, Dataset data)
    {
        if (model is not VqVae vq || data.Count == 0) return false;
        var counts = vq.CodeCounts(data);
        var health = CodebookHealth.Measure(counts);
        // Rank the codes of each head by use, then average the shares over heads.
        var shares = new double[vq.CodebookSize];
        foreach (var head in counts)
        {
            double total = Math.Max(1, head.Sum());
            var ranked = head.OrderByDescending(count => count).ToArray();
            for (int rank = 0; rank < ranked.Length; rank++) shares[rank] += 100 * ranked[rank] / total / counts.Length;
        }
        long used = counts.Sum(head => (long)head.Length) - health.DeadCodes;
        Plots.Bars(path, $"Codebook usage: {used} of {counts.Length * vq.CodebookSize} codes used, perplexity {health.Perplexity:F0}",
            "code, ranked by use", "share of assignments (%)", shares);
        return true;
    }

    /// <summary>A grid of <paramref name="count"/> samples from a generative image model, drawn from <paramref name="seed"/>.</summary>
    public static bool SaveSamples(string path, IGenerative model, Data.DataShape shape, int seed, int count = 64)
    {
        if (shape.Kind != DataKind.Image) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(seed);
        ImageGrid.Save(path, model.Sample(count), columns: (int)Math.Ceiling(Math.Sqrt(count)), scale: 2);
        return true;
    }
}
