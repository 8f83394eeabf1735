using Latent.Evaluation;
using Latent.Families;
using Latent.Models;
using Latent.Runs;

namespace Latent.Reporting;

/// <summary>A run's headline figure beside the baseline it must beat.</summary>
/// <param name="Label">What the figure is ("test MSE").</param>
/// <param name="Value">The figure, rounded.</param>
/// <param name="Baseline">What it is compared with ("PCA at the same 441 bits"), or null when the run has nothing to compare with.</param>
/// <param name="BaselineValue">The baseline's figure, rounded.</param>
/// <param name="Change">The figure relative to the baseline ("−55 %").</param>
/// <param name="Beats">Whether the run does better than the baseline (null without one).</param>
internal sealed record Headline(string Label, string Value, string? Baseline = null, string? BaselineValue = null, string? Change = null, bool? Beats = null);

/// <summary>What a report shows first about a run: its headline, a few supporting figures and its most telling picture.</summary>
internal sealed record RunCard(string Name, string Title, Headline? Headline, IReadOnlyList<string> Notes, string? Picture, string? PictureCaption);

/// <summary>
/// Builds the card of a run from its <c>eval.json</c>: the figure each family is judged by against the
/// baseline it must beat (PCA's optimum for linear codes, PCA at the same number of bits for discrete
/// codes, a PCA run of the same size in the comparison for other codes, the test mean for filling in,
/// raw pixels for probes), chosen by the figures the run has, not by its family's name.
/// </summary>
internal static class RunCards
{
    /// <summary>One run to card, with its evaluation.</summary>
    public sealed record Entry(string Name, RunDirectory Run, Manifest Manifest, IReadOnlyDictionary<string, double> Evaluation);

    public static RunCard Build(Entry entry, IReadOnlyList<Entry> all)
    {
        var figures = entry.Evaluation;
        var manifest = entry.Manifest;
        string choice = manifest.Model.Choice is { } made ? $" · {made.Option} {made.Value}" : "";
        string title = $"{manifest.Family} · {manifest.Model.Arch.ToString().ToLowerInvariant()}{choice} · D = {manifest.Model.LatentDim} · {manifest.Data.Data}";
        var notes = new List<string>();
        double Get(string key) => figures.TryGetValue(key, out var value) ? value : double.NaN;
        string Show(string key) => FigureFormat.Format(key, Get(key));
        bool Has(string key) => figures.ContainsKey(key);

        Headline? headline = null;
        if (Has("test_mse") && Has("pca_mse_same_bits"))
        {
            headline = Compare("test MSE", "test_mse", figures,
                $"PCA at the same {Show("bits_per_example")} bits ({Show("pca_components_same_bits")} float16 components)", "pca_mse_same_bits", lowerIsBetter: true);
            if (Has("codebook_usage")) notes.Add($"{Show("codebook_usage")} of the codebook used on the test split (perplexity {Show("codebook_perplexity")})");
            if (Has("prior_bits_per_example")) notes.Add($"≈ {Show("prior_bits_per_example")} bits per example entropy-coded with the prior");
            if (StageNotes(figures) is { } stages) notes.Add(stages);
        }
        else if (Has("test_mse") && Has("pca_optimum_mse"))
        {
            headline = Compare("test MSE", "test_mse", figures, $"PCA's optimum with K = {manifest.Model.LatentDim} (Eckart–Young)", "pca_optimum_mse", lowerIsBetter: true);
            if (Has("principal_angle_max_deg")) notes.Add($"largest principal angle to PCA's subspace: {Show("principal_angle_max_deg")}°");
        }
        else if (Has("masked_mse") && Has("mean_fill_masked_mse"))
        {
            headline = Compare("MSE on hidden pixels", "masked_mse", figures, "filling them with the test mean", "mean_fill_masked_mse", lowerIsBetter: true);
        }
        else if (Has("masked_token_accuracy"))
        {
            headline = Compare("hidden tokens filled in", "masked_token_accuracy", figures, "always the most frequent token", "unigram_masked_token_accuracy", lowerIsBetter: false);
        }
        else if (Has("test_neg_elbo_nats"))
        {
            headline = new Headline("−ELBO per example", $"{Show("test_neg_elbo_nats")} nats");
            if (Has("iwae_nll_nats")) notes.Add($"IWAE estimate of −log p(x) with {Show("iwae_samples")} samples: {Show("iwae_nll_nats")} nats");
            if (Has("active_units")) notes.Add($"{Show("active_units")} of {manifest.Model.LatentDim} latent dimensions active");
        }
        // A code of D real numbers against PCA with D components, when the comparison has such a run.
        if (Has("test_mse") && !Has("pca_optimum_mse") && !Has("pca_mse_same_bits") && SamePcaRun(entry, all) is { } pca
            && pca.Evaluation.TryGetValue("test_mse", out double pcaMse))
        {
            var versus = Compare("test MSE", "test_mse", figures, $"PCA with {pca.Manifest.Model.LatentDim} components ({pca.Name})", pcaMse, lowerIsBetter: true);
            if (headline is null) headline = versus;
            else notes.Insert(0, $"test MSE {versus.Value} against {versus.BaselineValue} for {versus.Baseline} ({versus.Change})");
        }
        if (headline is null && Has("test_mse")) headline = new Headline("test MSE", Show("test_mse"));
        if (Has("test_mse") && headline?.Label != "test MSE" && !notes.Any(note => note.StartsWith("test MSE", StringComparison.Ordinal)))
            notes.Add($"test MSE {Show("test_mse")}");
        if (Has("linear_probe_accuracy"))
            notes.Add(Has("raw_linear_probe_accuracy")
                ? $"linear probe {Show("linear_probe_accuracy")} against {Show("raw_linear_probe_accuracy")} on raw pixels"
                : $"linear probe {Show("linear_probe_accuracy")} (run eval --probe-raw for the raw-pixel baseline)");
        if (figures.Count == 0) notes.Add("no eval.json yet: run 'latent eval --run DIR'");

        var (picture, caption) = Picture(entry);
        return new RunCard(entry.Name, title, headline, notes, picture, caption);
    }

    /// <summary>A residual quantizer's stages: the usage of each, and the test MSE decoded from the first j of them; null without stages.</summary>
    static string? StageNotes(IReadOnlyDictionary<string, double> figures)
    {
        var usage = new List<string>();
        var errors = new List<string>();
        for (int stage = 1; figures.TryGetValue(CodebookEstimates.StageUsage.For(stage), out double used); stage++)
        {
            usage.Add(FigureFormat.Format("codebook_usage", used));
            if (figures.TryGetValue(CodebookEstimates.StagesMse.For(stage), out double error)) errors.Add($"{stage}: {FigureFormat.Format("test_mse", error)}");
        }
        if (usage.Count == 0) return null;
        return $"codebook usage by stage {string.Join(", ", usage)}; test MSE decoded from the first stages {string.Join(", ", errors)}";
    }

    static Headline Compare(string label, string key, IReadOnlyDictionary<string, double> figures, string baseline, string baselineKey, bool lowerIsBetter) =>
        Compare(label, key, figures, baseline, figures.TryGetValue(baselineKey, out var value) ? value : double.NaN, lowerIsBetter, baselineKey);

    static Headline Compare(string label, string key, IReadOnlyDictionary<string, double> figures, string baseline, double baselineValue, bool lowerIsBetter,
                            string? baselineKey = null)
    {
        double value = figures[key];
        bool beats = lowerIsBetter ? value < baselineValue : value > baselineValue;
        return new Headline(label, FigureFormat.Format(key, value), baseline, FigureFormat.Format(baselineKey ?? key, baselineValue),
            FigureFormat.Relative(value, baselineValue), double.IsFinite(baselineValue) ? beats : null);
    }

    /// <summary>A closed-form (PCA) run of the comparison on the same data with as many components as this run's latent dimension.</summary>
    static Entry? SamePcaRun(Entry entry, IReadOnlyList<Entry> all) =>
        all.FirstOrDefault(other => other != entry && ModelCatalog.Find(other.Manifest.Family).ClosedForm
                                    && other.Manifest.Model.LatentDim == entry.Manifest.Model.LatentDim
                                    && other.Manifest.Data.Data == entry.Manifest.Data.Data);

    /// <summary>The picture that shows what the run is for: its fill-in, its latent grid or samples, else its reconstructions.</summary>
    static (string? File, string? Caption) Picture(Entry entry)
    {
        var figures = entry.Evaluation;
        (string File, string Caption)[] preference = figures.ContainsKey("pca_mse_same_bits")
            ? [("reconstructions.png", "Test images (odd rows) above their reconstructions from the discrete codes.")]
            : figures.ContainsKey("test_neg_elbo_nats")
                ? [("latent-manifold.png", "The decoded 2-D latent grid."), ("samples.png", "Draws from the prior N(0, I), decoded.")]
                : [("inpaint.png", "Test images, the input with a part hidden (blue), and the model's fill-in.")];
        foreach (var (file, caption) in preference.Append(("reconstructions.png", "Test images (odd rows) above their reconstructions.")))
            if (File.Exists(entry.Run.File(file))) return (file, caption);
        return (null, null);
    }
}
