using Latent.Families;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Latent.Data;
using Latent.Models;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>One written graph: its role (encoder, decoder, inpaint), its file and its size.</summary>
public sealed record ExportedFile(string Role, string Path, long Bytes, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs);

/// <summary>What <see cref="OnnxExport.Export"/> wrote.</summary>
/// <param name="Directory">The export folder.</param>
/// <param name="Files">The graphs, in the order written.</param>
public sealed record ExportResult(string Directory, IReadOnlyList<ExportedFile> Files);

/// <summary>
/// <c>latent export --format onnx</c>: a trained run's encoder and decoder (and whatever else its
/// family needs) as ONNX graphs that ONNX Runtime runs without TorchSharp or libtorch, beside an
/// <c>export.json</c> that describes every input and output. The folder is written whole or not at
/// all: the files go to a hidden sibling first, which replaces a previous export only once complete.
/// </summary>
public static class OnnxExport
{
    /// <summary>The name of the description file, which also marks a folder as an export.</summary>
    public const string DescriptionFile = "export.json";

    /// <summary>The ONNX operator set the graphs use.</summary>
    public const int Opset = OnnxGraph.Opset;

    /// <summary>
    /// Where an export of <paramref name="run"/> goes: <paramref name="outDirectory"/>, or the run's
    /// <c>onnx/</c> folder. A folder that exists, is not empty and holds no export.json is refused.
    /// </summary>
    public static string Destination(RunDirectory run, string? outDirectory)
    {
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDirectory ?? run.File("onnx")));
        if (File.Exists(path)) throw new UserInputException($"{nameof(outDirectory)} '{outDirectory ?? path}' is a file; pass a folder for the export", nameof(outDirectory));
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() && !File.Exists(Path.Combine(path, DescriptionFile)))
            throw new UserInputException($"{nameof(outDirectory)} '{outDirectory ?? path}' exists and is not an export folder (it has no {DescriptionFile}); pass a new or empty folder", nameof(outDirectory));
        return path;
    }

    /// <summary>Exports the run's model; see <see cref="Destination"/> for <paramref name="outDirectory"/>.</summary>
    public static ExportResult Export(RunDirectory run, string? outDirectory)
    {
        var destination = Destination(run, outDirectory);
        var manifest = run.ReadManifest();
        using var runLock = RunLock.Acquire(run.Path, "latent export");
        if (manifest.Model.Uses(nameof(ModelOptions.Condition)) && manifest.Model.Condition == Conditioning.Label)
            throw new UserInputException($"'{run.Path}' is conditioned on labels ({nameof(ModelOptions.Condition)} label), and the ONNX export has no label input yet; export a run trained with {nameof(ModelOptions.Condition)} none", nameof(ModelOptions.Condition));
        using var model = run.LoadModel(manifest);
        var plan = Plan(model, manifest.Family);
        var description = Describe(plan, model, manifest, run);
        return Write(destination, plan, description);
    }

    /// <summary>
    /// The ONNX files of a model in memory, by role (encoder, decoder, inpaint), without a run folder or
    /// export.json: for programs that hold the model already (benchmarks, tests, services).
    /// </summary>
    public static IReadOnlyDictionary<string, byte[]> Graphs(Autoencoder model) =>
        Plan(model, ModelCatalog.Of(model.Options).Name).Graphs.ToDictionary(graph => graph.Role, graph => Serialize(graph.Graph));

    /// <summary>The family's graphs for a model in evaluation mode (a layer without a lowering is a one-line <see cref="UserInputException"/>).</summary>
    internal static FamilyExportPlan Plan(Autoencoder model, string family)
    {
        if (model.Condition is not null)
            throw new UserInputException($"a model conditioned on labels ({nameof(ModelOptions.Condition)} label) has no ONNX export yet (its graphs would need a label input); export a model with {nameof(ModelOptions.Condition)} none", nameof(ModelOptions.Condition));
        model.eval();
        using var noGrad = no_grad();
        return FamilyExports.For(model, family).Plan(model);
    }

    /// <summary>The ONNX file of one graph, as bytes.</summary>
    internal static byte[] Serialize(OnnxGraph graph) => graph.ToModel(Versions.Current.Latent).ToByteArray();

    static ExportResult Write(string destination, FamilyExportPlan plan, JsonObject description)
    {
        var parent = Path.GetDirectoryName(destination)!;
        var name = Path.GetFileName(destination);
        var staging = Path.Combine(parent, $".{name}.export-{Environment.ProcessId}.tmp");
        var previous = Path.Combine(parent, $".{name}.previous-{Environment.ProcessId}.tmp");
        var files = new List<ExportedFile>();
        try
        {
            Directory.CreateDirectory(parent);
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            Directory.CreateDirectory(staging);
            foreach (var graph in plan.Graphs)
            {
                var bytes = Serialize(graph.Graph);
                WriteFlushed(Path.Combine(staging, graph.Role + ".onnx"), bytes);
                files.Add(new ExportedFile(graph.Role, Path.Combine(destination, graph.Role + ".onnx"), bytes.Length, graph.Graph.Inputs, graph.Graph.Outputs));
                description["graphs"]![graph.Role]!["bytes"] = bytes.Length;
            }
            WriteFlushed(Path.Combine(staging, DescriptionFile), System.Text.Encoding.UTF8.GetBytes(description.ToJsonString(Json.Options) + "\n"));
            // Swap: the previous export (if any) steps aside, the new one takes its name, the old one goes.
            if (Directory.Exists(destination)) Directory.Move(destination, previous);
            Directory.Move(staging, destination);
            if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        }
        catch (Exception error)
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            if (!Directory.Exists(destination) && Directory.Exists(previous)) Directory.Move(previous, destination);
            if (error is IOException or UnauthorizedAccessException)
                throw new UserInputException($"cannot write the export to '{destination}' ({error.Message.Split('\n')[0]}); pass a writable outDirectory folder", "outDirectory");
            throw;
        }
        return new ExportResult(destination, files);
    }

    static void WriteFlushed(string path, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>export.json: what was exported from which run, and every graph's inputs and outputs.</summary>
    static JsonObject Describe(FamilyExportPlan plan, Autoencoder model, Manifest manifest, RunDirectory run)
    {
        var graphs = new JsonObject();
        foreach (var graph in plan.Graphs)
            graphs[graph.Role] = new JsonObject
            {
                ["file"] = graph.Role + ".onnx",
                ["description"] = graph.Graph.Description,
                ["inputs"] = Specs(graph.Graph.Inputs),
                ["outputs"] = Specs(graph.Graph.Outputs),
            };
        var notes = new JsonObject();
        foreach (var (key, value) in plan.Notes) notes[key] = value;
        return new JsonObject
        {
            ["format"] = "onnx",
            ["opset"] = OnnxGraph.Opset,
            ["ir_version"] = OnnxGraph.IrVersion,
            ["latent_version"] = Versions.Current.Latent,
            ["family"] = manifest.Family,
            ["architecture"] = manifest.Model.Arch.ToString().ToLowerInvariant(),
            ["run"] = new JsonObject
            {
                ["path"] = run.Path,
                ["manifest_sha256"] = Sha256(run.ManifestPath),
                ["weights_sha256"] = Sha256(run.ModelPath),
            },
            ["data"] = new JsonObject
            {
                ["kind"] = model.Shape.Kind.ToString().ToLowerInvariant(),
                ["shape"] = new JsonArray(model.Shape.Dimensions.Select(d => (JsonNode)d).ToArray()),
                ["vocabulary_size"] = model.Shape.Kind == DataKind.Tokens ? model.Shape.VocabularySize : null,
            },
            ["preprocessing"] = Preprocessing(model.Shape),
            ["postprocessing"] = Postprocessing(model.Shape),
            ["latent_prior"] = new JsonObject { ["kind"] = plan.LatentPrior.Kind, ["codebook_size"] = plan.LatentPrior.CodebookSize },
            ["notes"] = notes,
            ["graphs"] = graphs,
        };
    }

    static JsonArray Specs(IEnumerable<TensorSpec> specs) => new(specs.Select(spec => (JsonNode)new JsonObject
    {
        ["name"] = spec.Name,
        ["dtype"] = spec.DType,
        ["shape"] = new JsonArray(spec.Shape.Select(d => d is string symbol ? (JsonNode)symbol : (JsonNode)Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
        ["meaning"] = spec.Meaning,
    }).ToArray());

    static JsonObject Preprocessing(DataShape shape) => shape.Kind switch
    {
        DataKind.Image => new JsonObject
        {
            ["layout"] = "NCHW",
            ["pixel_scale"] = 1.0 / 255,
            ["pixel_offset"] = 0,
            ["note"] = "x = 8-bit pixel value × pixel_scale, in [0, 1]; resize to the data shape first; nothing else (no mean subtraction, no standardisation)",
        },
        DataKind.Table => new JsonObject
        {
            ["layout"] = "NF",
            ["note"] = "raw feature values in the training data's units; any centring or standardisation happens inside the graphs",
        },
        _ => new JsonObject
        {
            ["layout"] = "NT",
            ["note"] = "int64 token ids of the run's vocabulary (id 0 [UNK], id 1 [MASK])",
        },
    };

    static JsonObject Postprocessing(DataShape shape) => shape.Kind switch
    {
        DataKind.Image => new JsonObject
        {
            ["range"] = new JsonArray(0, 1),
            ["to_8_bit"] = "round(255 · clamp(x_hat, 0, 1))",
        },
        DataKind.Table => new JsonObject { ["note"] = "x_hat is in the training data's units" },
        _ => new JsonObject { ["note"] = "x_hat holds int64 token ids" },
    };

    static string? Sha256(string path)
    {
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
