using Latent.Families;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>
/// <c>report.html</c>: one self-contained page per run (figures embedded, opens offline) with the
/// options, loss curves, reconstructions, samples, the latent space and the eval.json figures; or one
/// page that puts several runs side by side.
/// </summary>
public static class RunReport
{
    /// <summary>Figures drawn by the report itself, in page order, with their captions.</summary>
    static readonly (string File, string Caption)[] StandardFigures =
    [
        ("loss.png", "Training and validation loss per epoch, one line per loss term (on a log scale when every value is positive)."),
        ("reconstructions.png", "Test examples (odd rows) above their reconstructions (even rows)."),
        ("inpaint.png", "Test examples, the input with a random part hidden, and the model's fill-in."),
        ("samples.png", "New examples: draws from the prior, decoded."),
        ("interpolations.png", "Each row: a test example, decoded points on the straight line between its code and another's, the other example."),
        ("latent-space.png", "Test examples in latent space, coloured by label (the first two principal components of the codes when D > 2)."),
        ("kl-per-dimension.png", "KL(q(zⱼ|x) ‖ N(0, 1)) of each latent dimension: those near 0 carry no information (posterior collapse)."),
        ("latent-manifold.png", "The decoded latent grid of a 2-D latent space, at the 5–95 % quantiles of the codes along each axis."),
        ("latent-traversals.png", "Latent traversals: row j decodes the first test example's code with z_j swept from its 5 % to its 95 % quantile over the test codes, the other dimensions held."),
        ("dci-importance.png", "DCI importance (gradient-boosted trees) of each code dimension for each generative factor; each column sums to 1. A disentangled code has one bright cell per row and per column."),
    ];

    /// <summary>
    /// Draws the run's figures afresh with its selected weights and writes the report, to <c>report.html</c> in
    /// the run unless <paramref name="path"/> says otherwise; returns its path.
    /// </summary>
    public static string Write(RunDirectory run, string? path = null)
    {
        var manifest = run.ReadManifest();
        var test = RunData.Load(manifest, manifest.Data, DataSplit.Test);
        using var runLock = RunLock.Acquire(run.Path, "latent report");
        using (var model = run.LoadModel(manifest)) RunFigures.DrawAll(run, model, test);

        var page = new Html().Heading(1, $"{manifest.Family} on {manifest.Data.Data}");
        page.Paragraph($"{ModelCatalog.Find(manifest.Family).Summary}. Run {run.Path}, created {manifest.Created:yyyy-MM-dd HH:mm}, " +
                       $"Latent {manifest.Versions.Latent}, TorchSharp {manifest.Versions.TorchSharp}, libtorch {manifest.Versions.LibTorch}.", "note");
        var evaluation = run.ReadEvaluation();
        var entry = new RunCards.Entry(Path.GetFileName(run.Path), run, manifest, evaluation);
        var card = RunCards.Build(entry, [entry]);
        page.Open("div", "cards").Card(card, null).Close("div");
        page.Heading(2, "Figures");
        foreach (var (file, caption) in StandardFigures.Concat(AnomalyFigures.Captions(run, evaluation)).Concat(OtherFigures(run)))
            if (File.Exists(run.File(file)))
                page.Figure(Path.GetFileNameWithoutExtension(file), File.ReadAllBytes(run.File(file)), file == "samples.png" ? ConditionedSamplesCaption(manifest) ?? caption : caption);
        AddEvaluation(page, evaluation);
        page.Details("Options");
        page.Table(["option", "value"], Options(manifest));
        if (manifest.Command is not null) page.Paragraph(manifest.Command, "note");
        page.Close("details");

        path ??= run.File("report.html");
        AtomicFile.WriteAllText(path, page.Page($"Latent report: {manifest.Family} on {manifest.Data.Data}"));
        return path;
    }

    /// <summary>For a run conditioned on labels: what the rows of samples.png are (one per label, named); null otherwise.</summary>
    static string? ConditionedSamplesCaption(Manifest manifest)
    {
        var options = manifest.Model;
        if (!options.Uses(nameof(ModelOptions.Condition)) || options.Condition != Conditioning.Label) return null;
        var labels = Enumerable.Range(0, options.ConditionClasses)
            .Select(k => manifest.LabelNames is { } names && k < names.Count ? $"{k} {names[k]}" : k.ToString(CultureInfo.InvariantCulture));
        return $"New examples, one row per label ({string.Join(", ", labels)}, top to bottom): draws from the prior decoded with that label.";
    }

    /// <summary>
    /// One page comparing runs: a card per run with its headline figure beside the baseline it must
    /// beat and its most telling picture; below, folded away, every eval.json figure in one table and
    /// every picture side by side. Each run's figures are drawn afresh with its selected weights, unless
    /// <paramref name="drawFigures"/> is false because they were just drawn (the demo writes each run's report first).
    /// </summary>
    public static string Compare(IReadOnlyList<RunDirectory> runs, string path, bool drawFigures = true)
    {
        if (runs.Count < 2) throw new UserInputException($"{nameof(Compare)} needs at least two runs; pass {nameof(Compare)} DIR1 DIR2 ...", nameof(Compare));
        UserPaths.RequireWritableFile(path, "report", "pass a file in a folder");
        var manifests = runs.Select(run => run.ReadManifest()).ToList();
        if (drawFigures)
            foreach (var (run, manifest) in runs.Zip(manifests))
            {
                var test = RunData.Load(manifest, manifest.Data, DataSplit.Test);
                using var runLock = RunLock.Acquire(run.Path, "latent report --compare");
                using var model = run.LoadModel(manifest);
                RunFigures.DrawAll(run, model, test);
            }
        // Folder names label the runs; two runs in folders of the same name get their position too.
        var names = runs.Select(run => Path.GetFileName(run.Path)).ToList();
        names = names.Select((name, i) => names.Count(other => other == name) > 1 ? $"{name} ({i + 1})" : name).ToList();
        var entries = runs.Select((run, i) => new RunCards.Entry(names[i], run, manifests[i], run.ReadEvaluation())).ToList();

        var page = new Html().Heading(1, $"Latent: {runs.Count} runs compared");
        page.Paragraph("Each card gives the figure the run is judged by beside the baseline it must beat (PCA at the same size or number of bits, " +
                       "the test mean for filled-in pixels, raw pixels for probes), and its most telling picture. Every figure and picture is folded away below.", "note");
        page.Open("div", "cards");
        foreach (var entry in entries)
        {
            var card = RunCards.Build(entry, entries);
            page.Card(card, card.Picture is null ? null : File.ReadAllBytes(entry.Run.File(card.Picture)));
        }
        page.Close("div");

        // Every figure but the per-dimension ones, which are the KL figure below.
        var keys = entries.SelectMany(e => e.Evaluation.Keys).Where(key => !IsPerDimension(key)).Distinct().Order(StringComparer.Ordinal).ToList();
        page.Details($"Every figure of eval.json ({keys.Count} figures, test split)");
        page.Table(["", .. names], [
            ["family", .. manifests.Select(m => m.Family)],
            ["data", .. manifests.Select(m => m.Data.Data)],
            ["architecture", .. manifests.Select(m => m.Model.Arch.ToString().ToLowerInvariant())],
            ["latent dim", .. manifests.Select(m => m.Model.LatentDim.ToString(CultureInfo.InvariantCulture))],
            .. keys.Select(key => (IReadOnlyList<string>)[key, .. entries.Select(e => e.Evaluation.TryGetValue(key, out var v) ? FigureFormat.Format(key, v) : "")]),
        ]);
        if (keys.Count == 0) page.Paragraph("No run has an eval.json yet: run 'latent eval --run DIR' on each to fill this table.", "note");
        else page.Paragraph("Meanings: " + string.Join("; ", keys.Where(key => MetricKeys.Describe(key) != "").Select(key => $"{key}: {MetricKeys.Describe(key)}")) + ".", "note");
        page.Close("details");
        foreach (var (file, caption) in StandardFigures)
        {
            if (!runs.Any(run => File.Exists(run.File(file)))) continue;
            page.Details(caption.Split('.')[0]).Open("div", "runs");
            foreach (var (run, name) in runs.Zip(names))
                if (File.Exists(run.File(file))) page.Figure($"{name}/{Path.GetFileNameWithoutExtension(file)}", File.ReadAllBytes(run.File(file)), name);
            page.Close("div").Close("details");
        }
        AtomicFile.WriteAllText(path, page.Page("Latent: runs compared"));
        return path;
    }

    /// <summary>Keys that hold one value per latent dimension (kl_dim_j): shown as their figure, not as rows.</summary>
    static bool IsPerDimension(string key) => key.StartsWith("kl_dim_", StringComparison.Ordinal);

    /// <summary>Family-specific figures the run directory holds (codebook usage, per-dimension KL, scree plots, ...); the anomaly figures have their own captions.</summary>
    static IEnumerable<(string File, string Caption)> OtherFigures(RunDirectory run) =>
        Directory.EnumerateFiles(run.Path, "*.png").Select(Path.GetFileName).OfType<string>()
            .Where(file => StandardFigures.All(figure => figure.File != file) && !AnomalyFigures.IsAnomalyFigure(file)).Order(StringComparer.Ordinal)
            .Select(file => (file, Path.GetFileNameWithoutExtension(file).Replace('-', ' ')));

    static void AddEvaluation(Html page, IReadOnlyDictionary<string, double> figures)
    {
        if (figures.Count == 0)
        {
            page.Heading(2, "Evaluation on the test split");
            page.Paragraph("No eval.json yet: run 'latent eval --run DIR' and report again.", "note");
            return;
        }
        var shown = figures.Where(pair => !IsPerDimension(pair.Key)).ToList();
        page.Details($"Every figure of eval.json ({shown.Count} figures, test split{(shown.Count < figures.Count ? "; the KL of each dimension is its figure above" : "")})");
        page.Table(["figure", "value", "meaning"], shown.Select(pair => (IReadOnlyList<string>)[pair.Key, FigureFormat.Format(pair.Key, pair.Value), MetricKeys.Describe(pair.Key)]));
        page.Close("details");
    }

    /// <summary>Every option of the manifest as (section.option, value) rows.</summary>
    static IEnumerable<IReadOnlyList<string>> Options(Manifest manifest)
    {
        var json = JsonNode.Parse(manifest.ToJson())!.AsObject();
        foreach (var section in new[] { "model", "data", "training" })
            if (json[section] is JsonObject options)
                foreach (var (key, value) in options)
                    yield return [$"{section}.{key}", value?.ToJsonString(Json.Compact).Trim('"') ?? "—"];
    }

}
