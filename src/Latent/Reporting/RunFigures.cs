using Latent.Data;
using Latent.Models;
using Latent.Models.Pca;
using Latent.Evaluation;
using Latent.Runs;
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
        var reconstructions = Batched.OnHead(model, data, count, model.Reconstruct);
        ImageGrid.Save(path, ImageGrid.Pairs(originals, reconstructions, columns), columns, scale: 2);
        return true;
    }

    /// <summary>
    /// Every standard figure of a run, drawn with the given (selected) weights into the run directory:
    /// the loss curves, reconstructions, inpainting (dae, mae), samples (generative families),
    /// interpolations, the latent space by label, codebook usage (vqvae), the KL of each latent
    /// dimension (vae), for a 2-D latent the decoded latent grid, latent traversals, and the DCI
    /// importance matrix once <c>latent eval --disentanglement</c> has run.
    /// Each is skipped where it has no meaning (no metrics for a closed-form fit, no picture for tables).
    /// What the user can spoil (a folder in the way of a figure, an unreadable log) is checked before
    /// the first figure is drawn, so that a failure leaves the run as it was.
    /// </summary>
    public static void DrawAll(RunDirectory run, Autoencoder model, Dataset test)
    {
        (string File, Action<string> Draw)[] figures =
        [
            ("loss.png", path => SaveLossCurves(path, run.MetricsPath)),
            ("reconstructions.png", path => SaveReconstructions(path, model, test)),
            ("inpaint.png", path => InpaintFigures.SaveForRun(path, model, test)),
            ("samples.png", path => LatentFigures.SaveSamples(path, model)),
            ("interpolations.png", path => SaveInterpolations(path, model, test)),
            ("latent-space.png", path => SaveLatentSpace(path, model, test)),
            ("codebook-usage.png", path => SaveCodebookUsage(path, model, test)),
            ("kl-per-dimension.png", path => SaveKlPerDimension(path, run)),
            ("latent-manifold.png", path => LatentFigures.SaveManifold(path, model, test)),
            ("latent-traversals.png", path => DisentanglementFigures.SaveTraversals(path, model, test)),
            ("dci-importance.png", path => DisentanglementFigures.SaveImportance(path, run)),
        ];
        foreach (var (file, _) in figures) UserPaths.RequireWritableFile(run.File(file), "figure", "move it out of the way");
        run.ReadEvaluation();
        MetricsLog.Read(run.MetricsPath);
        foreach (var (file, draw) in figures) draw(run.File(file));
    }

    /// <summary>
    /// The KL of each latent dimension (kl_dim_j), from eval.json on the test split when it has them,
    /// else from the last epoch of metrics.jsonl (validation split); false when neither does (not a VAE).
    /// </summary>
    public static bool SaveKlPerDimension(string path, RunDirectory run)
    {
        IReadOnlyDictionary<string, double> figures = run.ReadEvaluation();
        string split = "test";
        if (!figures.ContainsKey("kl_dim_0") && File.Exists(run.MetricsPath))
            (figures, split) = (MetricsLog.Read(run.MetricsPath).LastOrDefault() ?? new Dictionary<string, double>(), "validation");
        var kl = Enumerable.Range(0, int.MaxValue).TakeWhile(j => figures.ContainsKey($"kl_dim_{j}")).Select(j => figures[$"kl_dim_{j}"]).ToArray();
        if (kl.Length == 0) return false;
        // collapsed_units: the dimensions that are not active (posterior-mean activity ≤ 0.01); runs older than that key fall back to KL < 0.01 nats.
        int collapsed = figures.TryGetValue("collapsed_units", out var units) ? (int)units : kl.Count(v => v < 0.01);
        Plots.Bars(path, $"KL of each latent dimension ({split} split): {kl.Length - collapsed} of {kl.Length} not collapsed",
            "latent dimension", "KL (nats)", kl);
        return true;
    }

    /// <summary>Four straight walks between test examples drawn with seed 0 (what 'latent interpolate' draws by default).</summary>
    public static bool SaveInterpolations(string path, Autoencoder model, Dataset test, int pairs = 4, int steps = 10)
    {
        // A conditioned model's walk between two examples of different classes has no one label to decode with.
        if (test.Shape.Kind != DataKind.Image || test.Count < 2 * pairs || model.Condition is not null) return false;
        var (first, second) = LatentFigures.RandomPairs(test.Count, pairs, seed: 0);
        using var images = LatentFigures.Interpolations(model, test.Subset(first).Features, test.Subset(second).Features, steps, spherical: false);
        ImageGrid.Save(path, images, columns: steps + 2, scale: 2);
        return true;
    }

    /// <summary>Train and validation loss per epoch, from metrics.jsonl, one line per logged loss term.</summary>
    public static bool SaveLossCurves(string path, string metricsPath)
    {
        if (!File.Exists(metricsPath)) return false;
        var rows = MetricsLog.Read(metricsPath);
        if (rows.Count == 0) return false;
        var epochs = rows.Select(row => row["epoch"]).ToArray();
        var keys = rows[0].Keys.Where(key => key.StartsWith("train_", StringComparison.Ordinal) || key.StartsWith("val_", StringComparison.Ordinal));
        var series = keys.Select(key => (key, epochs, rows.Select(row => row.GetValueOrDefault(key, double.NaN)).ToArray()))
                         .Where(s => s.Item3.All(double.IsFinite)).ToList();
        // A family with a single term logs it twice (as the loss and by name): draw it once.
        series = series.Where(s => !series.Any(other => other.key != s.key && other.key.EndsWith("_loss", StringComparison.Ordinal)
                                                    && other.key[..other.key.IndexOf('_')] == s.key[..s.key.IndexOf('_')]
                                                    && other.Item3.SequenceEqual(s.Item3))).ToList();
        // A log scale shows terms of different sizes best, but a Gaussian likelihood's loss in nats can be negative.
        bool logY = series.All(s => s.Item3.All(v => v > 0));
        Plots.Lines(path, "Loss per epoch", "epoch", logY ? "loss (log scale)" : "loss", series, logY);
        return true;
    }

    /// <summary>
    /// Test examples in latent space coloured by label: the codes themselves when D = 2, else their
    /// first two principal components (<see cref="PcaFit.Leading"/>).
    /// </summary>
    public static bool SaveLatentSpace(string path, Autoencoder model, Dataset data, int count = 2000)
    {
        using var scope = NewDisposeScope();
        var subset = data.Take(count);
        var codes = Batched.Encode(model, subset);
        if (codes.shape[1] < 2) return false;
        bool projected = codes.shape[1] > 2;
        if (projected)
        {
            using var axes = PcaFit.Leading(codes, components: 2);
            codes = (codes - axes.Mean).matmul(axes.Components.to(ScalarType.Float32).t());  // [N, D] -> [N, 2]; the exact solver's axes are float64
        }
        codes = codes.to(ScalarType.Float64);
        var x = codes[.., 0].data<double>().ToArray();
        var y = codes[.., 1].data<double>().ToArray();
        Plots.Scatter(path, projected ? "Latent space (first two principal components)" : "Latent space",
            projected ? "PC 1" : "z₁", projected ? "PC 2" : "z₂", x, y, subset.Labels, subset.LabelNames);
        return true;
    }

    /// <summary>
    /// A VQ-VAE's codebook usage on <paramref name="data"/>: the share of all assignments each code
    /// receives, codes ranked from most to least used (a long flat tail of zeros is dead codes).
    /// Returns false for models without a codebook.
    /// </summary>
    public static bool SaveCodebookUsage(string path, Autoencoder model, Dataset data)
    {
        if (model is not IDiscreteCodes discrete || data.Count == 0) return false;
        var counts = CodebookEstimates.Count(discrete, data);
        var health = CodebookHealth.Measure(counts);
        // Rank the codes of each head by use, then average the shares over heads.
        var shares = new double[discrete.CodebookSize];
        foreach (var head in counts)
        {
            double total = Math.Max(1, head.Sum());
            var ranked = head.OrderByDescending(count => count).ToArray();
            for (int rank = 0; rank < ranked.Length; rank++) shares[rank] += 100 * ranked[rank] / total / counts.Length;
        }
        long used = counts.Sum(head => (long)head.Length) - health.DeadCodes;
        Plots.Bars(path, $"Codebook usage: {used} of {counts.Length * discrete.CodebookSize} codes used, perplexity {health.Perplexity:F0}",
            "code, ranked by use", "share of assignments (%)", shares);
        return true;
    }
}
