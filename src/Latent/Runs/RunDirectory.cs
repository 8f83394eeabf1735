using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// A run on disk (SPEC §4): <c>manifest.json</c>, <c>model.safetensors</c>, <c>checkpoint/</c>,
/// <c>metrics.jsonl</c>, <c>eval.json</c> and figures. Every file is written atomically.
/// </summary>
public sealed class RunDirectory
{
    RunDirectory(string path) => Path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));

    public string Path { get; }
    public string ManifestPath => File("manifest.json");
    /// <summary>The weights to use: those of the epoch with the best validation loss.</summary>
    public string ModelPath => File("model.safetensors");
    public string CheckpointDirectory => File("checkpoint");
    /// <summary>Everything needed to resume: weights, optimiser state, data position.</summary>
    public string LastCheckpointPath => System.IO.Path.Combine(CheckpointDirectory, "last.safetensors");
    public string MetricsPath => File("metrics.jsonl");
    public string EvalPath => File("eval.json");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The numbers of eval.json by key (empty before the first 'latent eval').</summary>
    public SortedDictionary<string, double> ReadEvaluation()
    {
        var figures = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (!System.IO.File.Exists(EvalPath)) return figures;
        try
        {
            foreach (var (key, node) in System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(EvalPath))!.AsObject())
                if (node is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out double number)) figures[key] = number;
        }
        catch (System.Text.Json.JsonException)
        {
            throw new UserInputException($"'{EvalPath}' is not valid JSON; run 'latent eval --run {Path}' again");
        }
        return figures;
    }

    /// <summary>A new run at <paramref name="path"/>, which must not exist yet or be empty. Creates nothing yet.</summary>
    public static RunDirectory New(string path)
    {
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
        {
            var hint = System.IO.File.Exists(System.IO.Path.Combine(path, "manifest.json"))
                ? "pass --resume to continue it, or a new --out"
                : "pass a new or empty --out folder";
            throw new UserInputException($"'{path}' already exists and is not empty; {hint}");
        }
        if (System.IO.File.Exists(path)) throw new UserInputException($"'{path}' is a file; pass a folder for --out");
        return new RunDirectory(path);
    }

    /// <summary>An existing run; a folder without a manifest is a <see cref="UserInputException"/>.</summary>
    public static RunDirectory Open(string path)
    {
        if (!Directory.Exists(path))
            throw new UserInputException($"run directory '{path}' does not exist; pass the --out folder of a 'latent train' or 'latent pca' run");
        var run = new RunDirectory(path);
        if (!System.IO.File.Exists(run.ManifestPath))
            throw new UserInputException($"'{path}' is not a run (it has no manifest.json); pass the --out folder of a 'latent train' or 'latent pca' run");
        return run;
    }

    public Manifest ReadManifest() => Manifest.FromJson(System.IO.File.ReadAllText(ManifestPath), ManifestPath);

    public void WriteManifest(Manifest manifest)
    {
        Directory.CreateDirectory(Path);
        AtomicFile.WriteAllText(ManifestPath, manifest.ToJson());
    }

    /// <summary>Builds the model the manifest describes and loads its weights (model.safetensors by default).</summary>
    public Autoencoder LoadModel(Manifest manifest, string? weightsPath = null)
    {
        var model = ModelCatalog.Find(manifest.Family).Create(manifest.Model, manifest.Shape);
        var path = weightsPath ?? ModelPath;
        if (!System.IO.File.Exists(path))
            throw new UserInputException($"'{Path}' has no {System.IO.Path.GetFileName(path)} yet; wait for its first epoch to finish or train it again");
        var (tensors, _) = SafeTensors.Load(path);
        try { LoadWeights(model, tensors, path); }
        finally { foreach (var tensor in tensors.Values) tensor.Dispose(); }
        model.eval();
        return model;
    }

    /// <summary>Copies named tensors into the model; every state-dict entry must be present with its shape.</summary>
    public static void LoadWeights(nn.Module model, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in model.state_dict())
        {
            if (!tensors.TryGetValue(name, out var value))
                throw new UserInputException($"'{source}' has no tensor '{name}' for this model; the weights do not belong to the manifest's model");
            if (!value.shape.SequenceEqual(target.shape))
                throw new UserInputException(
                    $"'{source}' stores '{name}' as [{string.Join(", ", value.shape)}] where the model needs [{string.Join(", ", target.shape)}]; the weights do not belong to the manifest's model");
            target.copy_(value);
        }
    }

    /// <summary>The model's state dict as named tensors, for saving.</summary>
    public static IEnumerable<(string Name, Tensor Tensor)> Weights(nn.Module model) =>
        model.state_dict().Select(pair => (pair.Key, pair.Value));

    public void SaveModel(nn.Module model) => SafeTensors.Save(ModelPath, Weights(model));
}
