using Latent.Families;
using System.Text.Json;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.Linear;
using Latent.Models.Pca;
using Latent.Models.Denoising;
using Latent.Models.Masked;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Models.VectorQuantized;
using Latent.Training;

using Latent.Runs;

namespace Latent.Workflows;

/// <summary>Options of <c>latent demo</c>.</summary>
public sealed record DemoOptions
{
    /// <summary>Folder for the demo's runs; a previous demo there is replaced.</summary>
    [System.ComponentModel.Description("folder for the demo's runs; a previous demo there is replaced")]
    public string Out { get; init; } = Path.Combine("runs", "demo");

    /// <summary>Train longer, for publication-quality figures.</summary>
    [System.ComponentModel.Description("train longer, for publication-quality figures")]
    public bool Full { get; init; }
}

/// <summary>
/// The main job: trains every family briefly on the built-in shapes (and on Fashion-MNIST when it is
/// installed), evaluates each run and leaves its figures, all under one folder.
/// </summary>
public static class Demo
{
    const string Marker = ".latent-demo";

    /// <summary>Examples (training and validation) each run of the brief demo learns from, per data set.</summary>
    public const int BriefExamples = 12000;

    /// <summary>Epochs of the brief demo.</summary>
    public const int BriefEpochs = 3;

    /// <summary>Examples the brief demo's masked autoencoder learns from: its ViT costs several times an MLP's per image.</summary>
    public const int BriefMaeExamples = 2000;

    /// <summary>One demo run: a name, the data it uses, what to train (no training options: fitted in closed form).</summary>
    public sealed record Entry(string Name, DataOptions Data, ModelOptions Model, TrainingOptions? Training);

    /// <summary>The runs a demo makes, in order: every family on <c>shapes</c>, and on Fashion-MNIST when it is installed; longer with <see cref="DemoOptions.Full"/>.</summary>
    public static IReadOnlyList<Entry> Plan(DemoOptions options)
    {
        // The brief demo trains every run on the first BriefExamples examples of each set (validation carved from them) and
        // tests on the whole test split: 2 min 34 s and 1.06 GB on two cores for both sets (bench/textbook/RESULTS.md), every comparison won.
        int? limit = options.Full ? null : BriefExamples;
        var datasets = new List<(string Name, DataOptions Data, int Epochs)> { ("shapes", new DataOptions { Data = "shapes", Limit = limit }, options.Full ? 30 : BriefEpochs) };
        // Fashion-MNIST is read from its memory-mapped IDX files, batch by batch, instead of being copied into memory:
        // a run's peak resident memory halves, at the same speed.
        if (DataCatalog.FashionMnistInstalled())
            datasets.Add(("fashion-mnist", new DataOptions { Data = "fashion-mnist", Storage = DataStorage.Stream, Limit = limit }, options.Full ? 30 : BriefEpochs));
        // PCA at two sizes, fitted first so that each trained run's line can quote the one of its own size.
        // K = 8 for the linear autoencoder and the MLP autoencoder: PCA's eigenvalue gap λ8/λ9 is clear there
        // (1.34 on shapes, 1.41 on Fashion-MNIST; at K = 32 it is 1.10 and 1.01), so the principal subspace the
        // linear autoencoder must find is well determined. Every run trains at its family's defaults, with fewer epochs.
        TrainingOptions Brief(ModelOptions model, int epochs) => ModelCatalog.DefaultTraining(model) with { Epochs = epochs };
        Entry Trained(string name, DataOptions data, ModelOptions model, int epochs) => new(name, data, model, Brief(model, epochs));
        var plan = datasets.SelectMany(data => new[]
        {
            new Entry($"{data.Name}-pca-8", data.Data, new PcaOptions { LatentDim = 8 }, null),
            new Entry($"{data.Name}-pca-32", data.Data, new PcaOptions { LatentDim = 32 }, null),
            Trained($"{data.Name}-ae-mlp", data.Data, new PlainOptions { Arch = Architecture.Mlp, LatentDim = 8 }, data.Epochs),
            Trained($"{data.Name}-ae-conv", data.Data, new PlainOptions { Arch = Architecture.Conv, LatentDim = 32 }, data.Epochs),
            Trained($"{data.Name}-linear", data.Data with { Limit = null }, new LinearOptions { LatentDim = 8 }, data.Epochs), // cheap: all the data, to reach PCA's subspace
            Trained($"{data.Name}-vae-conv", data.Data, new VaeOptions { Arch = Architecture.Conv, LatentDim = 16 }, data.Epochs),
            Trained($"{data.Name}-vae-2d", data.Data, new VaeOptions { Arch = Architecture.Mlp, LatentDim = 2 }, data.Epochs),
            // The brief VQ-VAE samples from the empirical code distribution: one epoch of the transformer prior cost 12–16 s and its samples were no better.
            Trained($"{data.Name}-vqvae-conv", data.Data, new VqOptions { Arch = Architecture.Conv, PriorEpochs = options.Full ? 10 : 0 }, data.Epochs),
        }).ToList();
        // Denoising (half the pixels masked) and masked (three quarters of the 4×4 patches hidden) autoencoders;
        // the ViT is slow on a CPU, so the brief demo trains it on fewer images still, and on the last data set only (Fashion-MNIST when installed).
        plan.AddRange(datasets.Select(data => Trained($"{data.Name}-dae-mlp", data.Data, new DaeOptions { Noise = "mask:0.5" }, data.Epochs)));
        var maeSets = options.Full ? datasets : datasets.TakeLast(1);
        plan.AddRange(maeSets.Select(data => Trained($"{data.Name}-mae-vit", data.Data with { Limit = options.Full ? null : BriefMaeExamples }, new MaeOptions(), data.Epochs)));
        return plan;
    }

    /// <summary>Runs the plan; <paramref name="say"/> receives one line per finished run.</summary>
    public static IReadOnlyList<RunDirectory> Run(DemoOptions options, ITrainingObserver observer, Action<string> say)
    {
        Prepare(options.Out);
        var runs = new List<RunDirectory>();
        var pcaErrors = new Dictionary<(DataOptions Data, int Components), double>();
        foreach (var entry in Plan(options))
        {
            var summary = ModelCatalog.Of(entry.Model).Summary;
            var folder = Path.Combine(options.Out, entry.Name);
            RunDirectory run;
            if (entry.Training is null)
            {
                say($"fitting {entry.Name} ({summary})");
                run = FitRun.Start(new FitRequest(entry.Model, entry.Data, folder, "latent demo")).Run;
            }
            else
            {
                say($"training {entry.Name} ({summary}) for {entry.Training.Epochs} epochs");
                run = TrainingRun.Start(new TrainRequest(entry.Model, entry.Data, entry.Training, folder, "latent demo"), observer);
            }
            var figures = RunEvaluation.Evaluate(run, new EvaluationOptions());
            Reporting.RunReport.Write(run);
            say($"{entry.Name}: test_mse {figures["test_mse"]:G4}{Comparison(entry, run, figures, pcaErrors)}; report in {run.File("report.html")}");
            if (entry.Model is PcaOptions) pcaErrors[(entry.Data, entry.Model.LatentDim)] = figures["test_mse"];
            runs.Add(run);
        }
        var report = Reporting.RunReport.Compare(runs, Path.Combine(options.Out, "report.html"), drawFigures: false);  // each run's report drew them
        say($"all runs side by side: {Path.GetFullPath(report)}");
        return runs;
    }

    /// <summary>
    /// What a run's line compares its test MSE with: PCA's eigenvalue gap at K for a PCA run, PCA's optimum and the largest
    /// principal angle for a linear code, PCA at the same bits for discrete codes, and for a plain autoencoder the demo's PCA run with as many
    /// components as the run's latent dimensions, when there is one; the comparison says which side is lower.
    /// </summary>
    static string Comparison(Entry entry, RunDirectory run, IReadOnlyDictionary<string, double> figures, IReadOnlyDictionary<(DataOptions, int), double> pcaErrors)
    {
        double error = figures["test_mse"];
        string Versus(double baseline) => error < baseline ? $"{(1 - error / baseline) * 100:F0}% below" : $"{(error / baseline - 1) * 100:F0}% above";
        if (entry.Model is PcaOptions && File.Exists(run.File("fit.json")))
        {
            using var fit = JsonDocument.Parse(File.ReadAllText(run.File("fit.json")));
            if (fit.RootElement.TryGetProperty("eigenvalue_gap_ratio", out var gap) && gap.ValueKind == JsonValueKind.Number)
                return $" (eigenvalue gap λ{entry.Model.LatentDim}/λ{entry.Model.LatentDim + 1} = {gap.GetDouble():F3})";
            return "";
        }
        if (figures.TryGetValue("pca_optimum_mse", out var optimum))
            return $" (PCA optimum {optimum:G4}, largest principal angle {figures["principal_angle_max_deg"]:F2}°)";
        if (figures.TryGetValue("pca_mse_same_bits", out var sameBits))
            return $" ({Versus(sameBits)} PCA at the same {figures["bits_per_example"]:F0} bits, {sameBits:G4})";
        if (entry.Model is PlainOptions && pcaErrors.TryGetValue((entry.Data, entry.Model.LatentDim), out var pca))
            return $" ({Versus(pca)} PCA with {entry.Model.LatentDim} components, {pca:G4})";
        return "";
    }

    /// <summary>Empties the demo folder, but only if it is one a demo made (it carries the marker file).</summary>
    static void Prepare(string folder)
    {
        UserPaths.RequireCreatableDirectory(folder, "demo folder", $"pass {nameof(DemoOptions.Out)} with a new folder", nameof(DemoOptions.Out));
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            if (!File.Exists(Path.Combine(folder, Marker)))
                throw new UserInputException($"'{folder}' exists and was not made by a demo; pass {nameof(DemoOptions.Out)} with a new folder", nameof(DemoOptions.Out));
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, Marker), "made by latent demo; the next demo replaces this folder\n");
    }
}
