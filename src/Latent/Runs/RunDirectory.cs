using Latent.Nn;
using Latent.Families;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// A run on disk (SPEC §4): <c>manifest.json</c>, <c>model.safetensors</c>, <c>checkpoint/</c>,
/// <c>metrics.jsonl</c>, <c>eval.json</c> and figures. Every file is written atomically.
/// </summary>
public sealed class RunDirectory
{
    RunDirectory(string path, bool staging = false)
    {
        Path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        _staging = staging;
    }

    readonly bool _staging;

    /// <summary>The run's folder, as a full path.</summary>
    public string Path { get; }
    /// <summary><c>manifest.json</c>: the family, every option, the data and the versions.</summary>
    public string ManifestPath => File("manifest.json");
    /// <summary>The weights to use: those of the epoch with the best validation loss.</summary>
    public string ModelPath => File("model.safetensors");
    /// <summary><c>checkpoint/</c>: the checkpoints training resumes and rolls back from.</summary>
    public string CheckpointDirectory => File("checkpoint");
    /// <summary>Everything needed to resume: weights, optimiser state, data position.</summary>
    public string LastCheckpointPath => System.IO.Path.Combine(CheckpointDirectory, "last.safetensors");
    /// <summary><c>metrics.jsonl</c>: one line of figures per epoch (and per checkpoint step).</summary>
    public string MetricsPath => File("metrics.jsonl");
    /// <summary><c>eval.json</c>: the test-split figures of the last evaluation.</summary>
    public string EvalPath => File("eval.json");

    /// <summary>The path of <paramref name="name"/> inside the run's folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The numbers of eval.json by key (empty before the first 'latent eval').</summary>
    public SortedDictionary<string, double> ReadEvaluation()
    {
        var figures = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (!System.IO.File.Exists(EvalPath)) return figures;
        const string fix = "evaluate the run again";
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(EvalPath)) is not System.Text.Json.Nodes.JsonObject json)
                throw new UserInputException($"'{EvalPath}' is not a JSON object of figures; {fix}");
            foreach (var (key, node) in json)
                if (node is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out double number)) figures[key] = number;
        }
        catch (System.Text.Json.JsonException)
        {
            throw new UserInputException($"'{EvalPath}' is not valid JSON; {fix}");
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(EvalPath, error, fix);
        }
        return figures;
    }

    /// <summary>A new run at <paramref name="path"/>, which must not exist yet or be empty. Creates nothing yet.</summary>
    public static RunDirectory New(string path)
    {
        UserPaths.RequireCreatableDirectory(path, "run folder", $"pass {LibraryNames.Out} with a new folder", LibraryNames.Out);
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any(entry => !RunLock.FileNames.Contains(System.IO.Path.GetFileName(entry))))
        {
            RunLock.ThrowIfHeld(path); // being written right now: say by whom
            var hint = System.IO.File.Exists(System.IO.Path.Combine(path, "manifest.json"))
                ? $"use {LibraryNames.Resume} to continue it, or a new {LibraryNames.Out}"
                : $"pass a new or empty {LibraryNames.Out} folder";
            throw new UserInputException($"'{path}' already exists and is not empty; {hint}", LibraryNames.Out, LibraryNames.Resume);
        }
        return new RunDirectory(path);
    }

    /// <summary>
    /// A hidden sibling of <paramref name="finalPath"/> (<c>.NAME.partial-PID</c>) to build a whole run in
    /// before <see cref="MoveTo"/> renames it into place; stale ones left by processes that died go first.
    /// </summary>
    public static RunDirectory Staging(string finalPath)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(finalPath));
        var parent = System.IO.Path.GetDirectoryName(full)!;
        var name = System.IO.Path.GetFileName(full);
        try
        {
            Directory.CreateDirectory(parent);
            foreach (var stale in Directory.EnumerateDirectories(parent, $".{name}.partial-*"))
                if (int.TryParse(System.IO.Path.GetFileName(stale)[(name.Length + 10)..], out int pid) && !AtomicFile.IsRunning(pid))
                    Directory.Delete(stale, recursive: true);
            var path = System.IO.Path.Combine(parent, $".{name}.partial-{Environment.ProcessId}");
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            Directory.CreateDirectory(path);
            return new RunDirectory(path, staging: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"cannot create a run next to '{finalPath}' ({error.Message.Split('\n')[0]}); pass an {LibraryNames.Out} in a writable folder", LibraryNames.Out);
        }
    }

    /// <summary>
    /// Renames this staging folder to <paramref name="finalPath"/>, which must not exist or be empty (and
    /// not locked by a writer): the run appears there whole, at once.
    /// </summary>
    public void MoveTo(string finalPath)
    {
        if (!_staging) throw new InvalidOperationException("only a staging folder moves into place");
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(finalPath));
        if (Directory.Exists(full))
        {
            New(full); // still empty?
            using (RunLock.Acquire(full, "latent (replacing an empty folder)")) { }
            Directory.Delete(full, recursive: true);
        }
        try
        {
            Directory.Move(Path, full);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"cannot move the finished run into '{finalPath}' ({error.Message.Split('\n')[0]}); pass a new {LibraryNames.Out} folder", LibraryNames.Out);
        }
        AtomicFile.SyncDirectory(System.IO.Path.GetDirectoryName(full)!);
    }

    /// <summary>Removes a staging folder that was not moved into place (the fit failed); a no-op otherwise.</summary>
    public void DeleteIfStaging()
    {
        if (!_staging || !Directory.Exists(Path)) return;
        try { Directory.Delete(Path, recursive: true); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// An existing run; a folder without a manifest, or one where a file of the run is a folder (or
    /// the checkpoint folder a file), is a <see cref="UserInputException"/>.
    /// </summary>
    public static RunDirectory Open(string path)
    {
        UserPaths.RequireDirectory(path, "run directory", $"pass the {LibraryNames.Out} folder of a trained or fitted run", LibraryNames.Out);
        var run = new RunDirectory(path);
        if (!System.IO.File.Exists(run.ManifestPath) && !Directory.Exists(run.ManifestPath))
            throw new UserInputException($"'{path}' is not a run (it has no manifest.json); pass the {LibraryNames.Out} folder of a trained or fitted run", LibraryNames.Out);
        run.CheckLayout();
        return run;
    }

    /// <summary>The files a run keeps (written by training, fitting, eval and report), relative to its folder.</summary>
    static readonly string[] RunFiles =
        ["manifest.json", "model.safetensors", "metrics.jsonl", "eval.json", "train.log", "fit.json", "fit.log", "report.html", "checkpoint/last.safetensors", "checkpoint/good.safetensors"];

    /// <summary>Fails when something is in the way of a file the run keeps: a folder where a file belongs, a file where the checkpoint folder belongs.</summary>
    void CheckLayout()
    {
        if (System.IO.File.Exists(CheckpointDirectory))
            throw new UserInputException($"'{CheckpointDirectory}' is a file where the run keeps its checkpoint folder; move it out of the way");
        foreach (var name in RunFiles)
            if (Directory.Exists(File(name)))
                throw new UserInputException($"'{File(name)}' is a folder where the run keeps a file; move it out of the way");
    }

    /// <summary>
    /// Checks, before a command writes anything, that the run's append-only logs can be appended to
    /// (they may be held by another process, or not writable).
    /// </summary>
    public void CheckWritable()
    {
        foreach (var log in new[] { MetricsPath, File("train.log"), File("fit.log") })
        {
            if (!System.IO.File.Exists(log)) continue;
            try { using var stream = new FileStream(log, FileMode.Open, FileAccess.Write, FileShare.Read); }
            catch (Exception error) when (UserPaths.IsFileSystemError(error))
            {
                throw new UserInputException($"cannot append to '{log}' ({UserPaths.Reason(error)}); make it writable (is another 'latent' writing this run?)");
            }
        }
    }

    /// <summary>Reads <see cref="ManifestPath"/>; a missing, locked or damaged manifest is a one-line <see cref="UserInputException"/>.</summary>
    public Manifest ReadManifest()
    {
        string json;
        try { json = System.IO.File.ReadAllText(ManifestPath); }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(ManifestPath, error, "check the file, or wait for the process that holds it");
        }
        return Manifest.FromJson(json, ManifestPath);
    }

    /// <summary>Writes <paramref name="manifest"/> to <see cref="ManifestPath"/> atomically, creating the folder if need be.</summary>
    public void WriteManifest(Manifest manifest)
    {
        Directory.CreateDirectory(Path);
        AtomicFile.WriteAllText(ManifestPath, manifest.ToJson());
    }

    /// <summary>Builds the run's model from its manifest and loads its selected weights.</summary>
    public Autoencoder LoadModel() => LoadModel(ReadManifest());

    /// <summary>A split of the run's own data (the test split for evaluation, the training split it was fitted on).</summary>
    public Data.Dataset LoadSplit(DataSplit split)
    {
        var manifest = ReadManifest();
        return RunData.Load(manifest, manifest.Data, split);
    }

    /// <summary>Builds the model the manifest describes and loads its weights (model.safetensors by default).</summary>
    public Autoencoder LoadModel(Manifest manifest, string? weightsPath = null)
    {
        var model = ModelCatalog.Find(manifest.Family).Create(manifest.Model, manifest.Shape);
        var path = weightsPath ?? ModelPath;
        if (!System.IO.File.Exists(path))
            throw new UserInputException($"'{Path}' has no {System.IO.Path.GetFileName(path)} yet; wait for its first epoch to finish or train it again");
        var (tensors, _) = SafeTensors.Load(path);
        try { ModuleWeights.Load(model, tensors, path); }
        finally { foreach (var tensor in tensors.Values) tensor.Dispose(); }
        model.eval();
        return model;
    }

    /// <summary>Writes the selected weights (model.safetensors) atomically; non-finite weights are never written.</summary>
    public void SaveModel(nn.Module model)
    {
        if (!Training.Finite.All(ModuleWeights.Of(model).Select(t => t.Tensor)))
            throw new InvalidOperationException($"refusing to write non-finite weights to '{ModelPath}'");
        SafeTensors.Save(ModelPath, ModuleWeights.Of(model));
    }

    /// <summary>Appends a time-stamped line to a log of the run (train.log, fit.log): append-only, a torn last line is harmless.</summary>
    public void AppendLog(string name, string line)
    {
        var path = File(name);
        try
        {
            System.IO.File.AppendAllText(path, $"{DateTimeOffset.Now:O} {line}\n");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"cannot write the log '{path}' ({error.Message.Split('\n')[0]}); make the run folder writable (or remove what stands at that path) and {LibraryNames.Resume}", LibraryNames.Resume);
        }
    }
}
