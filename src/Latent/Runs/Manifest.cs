using Latent.Families;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Latent.Data;
using Latent.Models;
using Latent.Training;
using TorchSharp;

namespace Latent.Runs;

/// <summary>Versions of the software that produced a run.</summary>
public sealed record Versions(
    string Latent,
    [property: JsonPropertyName("torchsharp")] string TorchSharp,
    [property: JsonPropertyName("libtorch")] string LibTorch)
{
    /// <summary>The versions of this process: Latent's informational version, TorchSharp's and libtorch's.</summary>
    public static Versions Current => new(
        typeof(Versions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0",
        typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?",
        torch.__version__);
}

/// <summary>
/// <c>manifest.json</c>: everything needed to rebuild a run's model and data (family, every option,
/// data spec and shape, seed, versions). The model options are stored under the family's own type.
/// </summary>
public sealed record Manifest
{
    /// <summary>The model family (<c>ae</c>, <c>vae</c>, <c>pca</c>, ...), which decides the type of <see cref="Model"/>.</summary>
    public required string Family { get; init; }
    /// <summary>The model's options, of the family's own type (e.g. <c>VaeOptions</c>).</summary>
    public required ModelOptions Model { get; init; }
    /// <summary>The data the run was trained on, with what was derived from it (a text vocabulary, what transparency became).</summary>
    public required DataOptions Data { get; init; }
    /// <summary>The shape of one example the model takes.</summary>
    public required DataShape Shape { get; init; }
    /// <summary>Null for closed-form fits (PCA).</summary>
    public TrainingOptions? Training { get; init; }
    /// <summary>The names of the training data's classes by label id, or null when it has none.</summary>
    public IReadOnlyList<string>? LabelNames { get; init; }
    /// <summary>The versions of Latent, TorchSharp and libtorch that created the run.</summary>
    public required Versions Versions { get; init; }
    /// <summary>When the run was started, in local time with its offset.</summary>
    public required DateTimeOffset Created { get; init; }
    /// <summary>The command line that created the run.</summary>
    public string? Command { get; init; }

    /// <summary>The manifest as the text of manifest.json; options that do not apply to the model are left out.</summary>
    public string ToJson()
    {
        var node = new JsonObject
        {
            ["family"] = Family,
            ["model"] = Applicable(JsonSerializer.SerializeToNode(Model, Model.GetType(), Json.Options)!, Model),
            ["data"] = Applicable(JsonSerializer.SerializeToNode(Data, Json.Options)!, Data),
            ["shape"] = JsonSerializer.SerializeToNode(Shape, Json.Options),
            // Derived from the model options and the shape (so never stale): how conv stacks pad the images.
            ["conv_padding"] = Model.ConvPadding(Shape) is { } padding ? JsonSerializer.SerializeToNode(padding, Json.Options) : null,
            ["training"] = Training is null ? null : JsonSerializer.SerializeToNode(Training, Json.Options),
            ["label_names"] = LabelNames is null ? null : JsonSerializer.SerializeToNode(LabelNames, Json.Options),
            ["versions"] = JsonSerializer.SerializeToNode(Versions, Json.Options),
            ["created"] = Created.ToString("O"),
            ["command"] = Command,
        };
        return node.ToJsonString(Json.Options);
    }

    /// <summary>The serialised options without those that do not apply (<see cref="IOptionApplicability.Uses"/>): a manifest records what the run used.</summary>
    static JsonNode Applicable(JsonNode node, IOptionApplicability options)
    {
        var record = node.AsObject();
        foreach (var property in options.GetType().GetProperties())
            if (!options.Uses(property.Name)) record.Remove(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
        return record;
    }

    /// <summary>
    /// The data options of a manifest; one written before <see cref="DataOptions.ValidationLimit"/> existed held out
    /// the whole fraction, and reading it back keeps that split.
    /// </summary>
    static DataOptions ReadData(JsonNode? node)
    {
        var data = node.Deserialize<DataOptions>(Json.Options) ?? throw new JsonException("missing 'data'");
        return node!["validation_limit"] is null ? data with { ValidationLimit = 0 } : data;
    }

    /// <summary>Reads the text of manifest.json; a damaged one is a one-line <see cref="UserInputException"/> naming <paramref name="path"/>.</summary>
    public static Manifest FromJson(string json, string path)
    {
        try
        {
            var node = JsonNode.Parse(json)!.AsObject();
            var family = ModelCatalog.Find(node["family"]!.GetValue<string>());
            T Read<T>(string key) => node[key].Deserialize<T>(Json.Options) ?? throw new JsonException($"missing '{key}'");
            return Checked(path, new Manifest
            {
                Family = family.Name,
                Model = (ModelOptions)(node["model"].Deserialize(family.OptionsType, Json.Options) ?? throw new JsonException("missing 'model'")),
                Data = ReadData(node["data"]),
                Shape = Read<DataShape>("shape"),
                Training = node["training"].Deserialize<TrainingOptions>(Json.Options),
                LabelNames = node["label_names"].Deserialize<string[]>(Json.Options),
                Versions = Read<Versions>("versions"),
                Created = DateTimeOffset.Parse(node["created"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                Command = node["command"]?.GetValue<string>(),
            });
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new UserInputException($"'{path}' is not a valid run manifest ({UserPaths.Reason(error)}); restore it or train the run again");
        }
    }

    /// <summary>Largest image side, and most elements in one example, a manifest may declare.</summary>
    const int MaxSide = 1 << 16, MaxExampleSize = 1 << 26;

    /// <summary>
    /// The manifest, once its parts agree: a shape that can exist, options that each family's own
    /// checks accept for that shape, a vocabulary that matches it. A manifest edited by hand (or
    /// damaged) thus fails here, in one line, rather than later inside the model.
    /// </summary>
    static Manifest Checked(string path, Manifest manifest)
    {
        try
        {
            var shape = manifest.Shape;
            if (shape.Channels is < 1 or > 4 || shape.Height is < 1 or > MaxSide || shape.Width is < 1 or > MaxSide
                || (long)shape.Channels * shape.Height * shape.Width > MaxExampleSize)
                throw new UserInputException($"its shape {shape.Channels}×{shape.Height}×{shape.Width} cannot be");
            if (shape.Kind != DataKind.Image && (shape.Channels != 1 || shape.Height != 1))
                throw new UserInputException($"{shape.Kind.ToString().ToLowerInvariant()} data with {shape.Channels} channels and height {shape.Height} cannot be");
            if (shape.Kind == DataKind.Tokens && shape.VocabularySize is < Vocabulary.Reserved + 1 or > MaxExampleSize)
                throw new UserInputException($"a vocabulary of {shape.VocabularySize} tokens cannot be");
            manifest.Data.Validate();
            manifest.Training?.Validate();
            Families.ModelCatalog.Of(manifest.Model).Validate(manifest.Model, shape); // architecture, applicable options, then the options' own checks
            if (manifest.Data.Vocabulary is { } tokens && new Vocabulary(tokens).Size != shape.VocabularySize)
                throw new UserInputException($"its vocabulary lists {tokens.Count} tokens where its shape has {shape.VocabularySize}");
        }
        catch (UserInputException error)
        {
            throw new UserInputException($"'{path}' describes a run that cannot be rebuilt ({error.Message.Split("; ")[0]}); restore it or train the run again");
        }
        return manifest;
    }
}
