using Latent.Data;
using Latent.Models;

namespace Latent.Export;

/// <summary>One graph of an export: <c>ROLE.onnx</c> (encoder, decoder, inpaint) and what it does.</summary>
/// <param name="Role">The file's stem and its key in export.json.</param>
/// <param name="Graph">The graph, with its declared inputs and outputs.</param>
internal sealed record ExportedGraph(string Role, OnnxGraph Graph);

/// <summary>What one family exports: its graphs, how to draw random inputs for the decoder, and notes on pre- and post-processing.</summary>
/// <param name="Graphs">encoder, decoder and whatever else the family needs.</param>
/// <param name="LatentPrior">What the decoder's input is distributed as (export.json's <c>latent_prior</c>).</param>
/// <param name="Notes">Family-specific processing notes (where the mean goes, what a mask means), key → one line.</param>
internal sealed record FamilyExportPlan(IReadOnlyList<ExportedGraph> Graphs, LatentPrior LatentPrior, IReadOnlyDictionary<string, string> Notes);

/// <summary>How to draw random decoder inputs: <c>standard_normal</c> (z ~ N(0, I)), <c>uniform_codes</c> (codes uniform in [0, K)) or <c>none</c> (no prior: decode encoded examples).</summary>
/// <param name="Kind">One of the three words.</param>
/// <param name="CodebookSize">K, for uniform codes.</param>
internal sealed record LatentPrior(string Kind, int? CodebookSize = null)
{
    public static readonly LatentPrior StandardNormal = new("standard_normal");
    public static readonly LatentPrior None = new("none");
}

/// <summary>
/// How one family's encoder and decoder become ONNX graphs. A plan reads the trained modules by
/// their state-dict names and lowers them with <see cref="NnLowering"/>; it applies to a model by
/// what the model is (a capability, or the options the manifest records), never by its class.
/// </summary>
internal interface IFamilyExport
{
    /// <summary>Whether this plan exports <paramref name="model"/>.</summary>
    bool Applies(Autoencoder model);

    /// <summary>The graphs of <paramref name="model"/> (in evaluation mode).</summary>
    FamilyExportPlan Plan(Autoencoder model);
}

/// <summary>The plans, one file per family, tried in order.</summary>
internal static class FamilyExports
{
    public static readonly IReadOnlyList<IFamilyExport> All =
    [
        new VectorQuantizedExport(), new VariationalExport(), new LinearExport(), new DenoisingExport(), new MaskedExport(), new PlainExport(),
    ];

    /// <summary>The plan for <paramref name="model"/>; a family without one is a one-line <see cref="UserInputException"/>.</summary>
    public static IFamilyExport For(Autoencoder model, string family) =>
        All.FirstOrDefault(plan => plan.Applies(model))
        ?? throw new UserInputException($"cannot export a {family} model to ONNX yet; the families with an export are ae, linear, pca, vae, vqvae, dae and mae");

    /// <summary>The graph input of one example batch: float32 [batch, ...shape] (int64 token ids for tokens).</summary>
    public static TensorSpec DataSpec(DataShape shape, string name, string meaning) =>
        new(name, shape.Kind == DataKind.Tokens ? ElementType.Int64 : ElementType.Float32, TensorSpec.Batched(shape.Dimensions), meaning);

    /// <summary>What a data tensor holds, in words.</summary>
    public static string DataMeaning(DataShape shape) => shape.Kind switch
    {
        DataKind.Image => $"images [C, H, W] = [{shape.Channels}, {shape.Height}, {shape.Width}], pixels in [0, 1]",
        DataKind.Table => $"table rows of {shape.Width} features in the training data's units",
        _ => $"windows of {shape.Width} token ids in [0, {shape.VocabularySize})",
    };

    /// <summary>The decoder's output in data units: a sigmoid for data in [0, 1] (images), as every family's Decode ends.</summary>
    public static string ToDataRange(OnnxGraph graph, DataShape shape, string output) =>
        shape.IsUnitRange ? graph.Node("Sigmoid", [output], "decoder.sigmoid") : output;

    /// <summary>A float32 latent input [batch, dimension].</summary>
    public static TensorSpec LatentSpec(string name, int dimension, string meaning) => new(name, ElementType.Float32, [OnnxGraph.Batch, dimension], meaning);

    /// <summary>A graph x → y with the encoder network, e.g. the plain autoencoder's.</summary>
    public static OnnxGraph Encoder(Autoencoder model, string description, string outputName, string outputMeaning, int outputSize)
    {
        var graph = new OnnxGraph("encoder", description);
        var x = graph.Input(DataSpec(model.Shape, "x", DataMeaning(model.Shape)));
        var z = NnLowering.Lower(graph, NnLowering.Child(model, "encoder"), x, "encoder");
        graph.Output(z, LatentSpec(outputName, outputSize, outputMeaning));
        return graph;
    }

    /// <summary>A graph z → x̂ with the decoder network and the output activation.</summary>
    public static OnnxGraph Decoder(Autoencoder model, string description, string inputName, string inputMeaning, int inputSize)
    {
        var graph = new OnnxGraph("decoder", description);
        var z = graph.Input(LatentSpec(inputName, inputSize, inputMeaning));
        var output = ToDataRange(graph, model.Shape, NnLowering.Lower(graph, NnLowering.Child(model, "decoder"), z, "decoder"));
        graph.Output(output, DataSpec(model.Shape, "x_hat", "the reconstruction: " + DataMeaning(model.Shape)));
        return graph;
    }
}
