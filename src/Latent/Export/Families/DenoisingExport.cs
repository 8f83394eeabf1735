// The denoising autoencoder (Vincent et al. 2008): its encoder and decoder, and the reconstruction
// graph it is for, inpainting: x̃ = x with the missing elements replaced by [MASK] (the mask id for
// tokens, the learned or fixed mask value for pixels and standardised table features), then
// x̂ = ψ(φ(x̃)), and the missing elements of x filled from x̂. Table rows are standardised inside the
// graphs, (x − μ)/σ in and x̂·σ + μ out, with the running μ and σ the model trained with.

using Latent.Data;
using Latent.Models;
using Latent.Models.Denoising;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>
/// The DAE: encoder.onnx x → code, decoder.onnx code → x̂ (token ids and logits for text), and,
/// when it was trained with masking noise, inpaint.onnx (x, missing) → filled.
/// </summary>
internal sealed class DenoisingExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model is IInpainting && model.Options is DaeOptions;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        var options = (DaeOptions)model.Options;
        var shape = model.Shape;
        int codeSize = model.RepresentationSize;
        string codeMeaning = options.Arch == Models.Architecture.Transformer
            ? $"every position's final state, {SequenceTransformerEncoder.Positions(shape, options)} × {options.Width}, flattened"
            : $"the code, {codeSize} numbers per example";

        var encoder = new OnnxGraph("encoder", "x → the code of the clean input");
        var x = encoder.Input(FamilyExports.DataSpec(shape, "x", FamilyExports.DataMeaning(shape)));
        encoder.Output(Encode(encoder, model, ToModelUnits(encoder, model, x)), FamilyExports.LatentSpec("code", codeSize, codeMeaning));

        var decoder = new OnnxGraph("decoder", "code → x̂ in data units");
        var code = decoder.Input(FamilyExports.LatentSpec("code", codeSize, codeMeaning));
        var output = Decode(decoder, model, code);
        if (shape.Kind == DataKind.Tokens)
            decoder.Output(output, new TensorSpec("logits", ElementType.Float32, [OnnxGraph.Batch, shape.Width, shape.VocabularySize], "unnormalised log-probabilities of every token at every position"));
        decoder.Output(ToDataUnits(decoder, model, output), FamilyExports.DataSpec(shape, "x_hat", ReconstructionMeaning(shape)));

        var graphs = new List<ExportedGraph> { new("encoder", encoder), new("decoder", decoder) };
        var inpainting = (IInpainting)model;
        var notes = new Dictionary<string, string>
        {
            ["latent"] = "no prior over the code; decode codes that encoder.onnx produced",
            ["input"] = shape.Kind == DataKind.Table ? "feed raw table values: the graphs standardise with the training mean and spread and undo it" : "feed data as the run's data source delivers it",
        };
        if (inpainting.CanInpaint)
        {
            graphs.Add(new("inpaint", Inpaint(model)));
            notes["inpaint"] = "inpaint.onnx fills in the elements where 'missing' is true and returns the others unchanged, as 'latent inpaint' does";
        }
        else notes["inpaint"] = "no inpaint.onnx: the model was trained on noise that is not masking, so it never learned to fill in";
        return new FamilyExportPlan(graphs, LatentPrior.None, notes);
    }

    static OnnxGraph Inpaint(Autoencoder model)
    {
        var shape = model.Shape;
        var graph = new OnnxGraph("inpaint", "(x, missing) → x with its missing elements predicted by the denoising autoencoder");
        var x = graph.Input(FamilyExports.DataSpec(shape, "x", FamilyExports.DataMeaning(shape) + " (missing elements may hold anything)"));
        var missing = graph.Input(new TensorSpec("missing", ElementType.Bool, TensorSpec.Batched(shape.Dimensions), "true where an element is missing and is to be filled in"));
        var input = ToModelUnits(graph, model, x);
        var fill = shape.Kind == DataKind.Tokens
            ? graph.Longs(Vocabulary.Mask)
            : model.state_dict().TryGetValue("maskEmbedding", out var learned)
                ? graph.Initializer("maskEmbedding", learned)
                : graph.Scalar((float)((DaeOptions)model.Options).MaskValue);
        var masked = graph.Node("Where", [missing, fill, input], "x_masked");
        var predicted = ToDataUnits(graph, model, Decode(graph, model, Encode(graph, model, masked)));
        graph.Output(graph.Node("Where", [missing, predicted, x], "filled_in"), FamilyExports.DataSpec(shape, "filled", "x with the missing elements filled in: " + FamilyExports.DataMeaning(shape)));
        return graph;
    }

    static string ReconstructionMeaning(DataShape shape) => shape.Kind == DataKind.Tokens
        ? $"the most likely token at each of {shape.Width} positions (argmax of logits)"
        : "the reconstruction: " + FamilyExports.DataMeaning(shape);

    /// <summary>Table rows standardised, (x − μ)/σ; pixels and token ids as they are.</summary>
    static string ToModelUnits(OnnxGraph graph, Autoencoder model, string x)
    {
        if (model.Shape.Kind != DataKind.Table) return x;
        var (mean, scale) = Standardisation(graph, model);
        return graph.Node("Div", [graph.Node("Sub", [x, mean], "standardizer.centred"), scale], "standardizer.standardized");
    }

    /// <summary>Network output → data units: sigmoid pixels, x̂·σ + μ for tables, the argmax token.</summary>
    static string ToDataUnits(OnnxGraph graph, Autoencoder model, string output)
    {
        switch (model.Shape.Kind)
        {
            case DataKind.Image:
                return graph.Node("Sigmoid", [output], "decoder.sigmoid");
            case DataKind.Table:
                var (mean, scale) = Standardisation(graph, model);
                return graph.Node("Add", [graph.Node("Mul", [output, scale], "standardizer.scaled"), mean], "standardizer.restored");
            default:
                return graph.Node("ArgMax", [output], "tokens", OnnxGraph.Int("axis", -1), OnnxGraph.Int("keepdims", 0));
        }
    }

    /// <summary>μ and σ = max(√max(σ², 1e-12), 1e-6) of the standardizer, as it computes them.</summary>
    static (string Mean, string Scale) Standardisation(OnnxGraph graph, Autoencoder model)
    {
        var state = model.state_dict();
        using var scale = state["standardizer.variance"].clamp_min(1e-12).sqrt().clamp_min(1e-6);
        return (graph.Initializer("standardizer.mean", state["standardizer.mean"]), graph.Initializer("standardizer.scale", scale));
    }

    static string Encode(OnnxGraph graph, Autoencoder model, string input)
    {
        var encoder = NnLowering.Child(model, "encoder");
        switch (encoder)
        {
            case TokenMlpEncoder:
                // [B, T] -> [B, T, W] -> [B, T·W] -> [B, D]
                var flat = graph.Node("Flatten", [TokensAndPositions(graph, encoder, input)], "encoder.flat", OnnxGraph.Int("axis", 1));
                return NnLowering.Lower(graph, NnLowering.Child(encoder, "layers"), flat, "encoder.layers");
            case SequenceTransformerEncoder:
                return SequenceEncoder(graph, encoder, input);
            default:
                return NnLowering.Lower(graph, encoder, input, "encoder");
        }
    }

    static string Decode(OnnxGraph graph, Autoencoder model, string code)
    {
        var decoder = NnLowering.Child(model, "decoder");
        var options = (DaeOptions)model.Options;
        var shape = model.Shape;
        switch (decoder)
        {
            case TokenMlpDecoder:
            {
                // [B, D] -> [B, T·W] -> [B, T, W] -> [B, T, V]
                var hidden = graph.Node("Relu", [NnLowering.Lower(graph, NnLowering.Child(decoder, "layers"), code, "decoder.layers")], "decoder.layers_relu");
                var perPosition = NnLowering.Reshape(graph, hidden, [shape.Width, options.Width], "decoder.positions");
                return NnLowering.Lower(graph, NnLowering.Child(decoder, "head"), perPosition, "decoder.head");
            }
            case SequenceTransformerDecoder:
            {
                // [B, N·W] -> [B, N, W] -> [B, N, V] (tokens) or [B, N, p·p·C] -> [B, C, H, W] (images)
                var positions = NnLowering.Reshape(graph, code, [SequenceTransformerEncoder.Positions(shape, options), options.Width], "decoder.positions");
                var output = NnLowering.Lower(graph, NnLowering.Child(decoder, "head"), positions, "decoder.head");
                return shape.Kind == DataKind.Tokens ? output : PatchLayout.Unpatchify(graph, output, options.PatchSize, shape, "decoder.image");
            }
            default:
                return NnLowering.Lower(graph, decoder, code, "decoder");
        }
    }

    /// <summary>ids [B, T] → token embeddings plus learned positions [B, T, W].</summary>
    static string TokensAndPositions(OnnxGraph graph, nn.Module encoder, string ids) =>
        graph.Node("Add", [NnLowering.Lower(graph, NnLowering.Child(encoder, "embedding"), ids, "encoder.embedding"), graph.Initializer("encoder.positions", NnLowering.Own(encoder, "positions"))], "encoder.embedded");

    // tokens [B, T] or images [B, C, H, W] -> [B, N, W] -> blocks -> norm -> [B, N·W]
    static string SequenceEncoder(OnnxGraph graph, nn.Module encoder, string input)
    {
        var embedded = NnLowering.Lower(graph, NnLowering.Child(encoder, "embed"), input, "encoder.embed");
        var tokens = graph.Node("Add", [embedded, graph.Initializer("encoder.positions", NnLowering.Own(encoder, "positions"))], "encoder.embedded");
        var blocks = NnLowering.Blocks(graph, (TorchSharp.Modules.ModuleList<Nn.TransformerBlock>)NnLowering.Child(encoder, "blocks"), tokens, "encoder.blocks", keyMask: null);
        var normed = NnLowering.Lower(graph, NnLowering.Child(encoder, "norm"), blocks, "encoder.norm");
        return graph.Node("Flatten", [normed], "encoder.flat", OnnxGraph.Int("axis", 1));
    }
}
