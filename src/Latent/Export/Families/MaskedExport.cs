// The masked autoencoder (He et al. 2022) in ONNX. The encoder in training sees only the visible
// patches; a fixed-size graph cannot drop a different number of patches per example, so inpaint.onnx
// keeps every patch and masks attention instead: the hidden patches' keys get score −∞, hence weight 0,
// in every encoder block. Since attention is the only place where patches meet (LayerNorm and the MLP
// act per patch), the visible patches come out exactly as if the hidden ones had been dropped, and the
// hidden ones are discarded. The decoder then gets the mask token at every hidden place, as in MAE.

using Latent.Models;
using Latent.Models.Masked;
using Latent.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>
/// The MAE: encoder.onnx x → the mean of the encoded patches (its representation), decoder.onnx z →
/// the coarse picture Decode draws, and inpaint.onnx (x, missing) → x with every patch that holds a
/// missing pixel predicted, as 'latent inpaint' does.
/// </summary>
internal sealed class MaskedExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model is IInpainting && model.Options is MaeOptions;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        var parts = new Parts(model);
        return new FamilyExportPlan([new("encoder", Encoder(parts)), new("decoder", Decoder(parts)), new("inpaint", Inpaint(parts))], LatentPrior.None,
            new Dictionary<string, string>
            {
                ["latent"] = "decoder.onnx draws one pooled code at every patch position, a coarse picture; the MAE's real use is inpaint.onnx",
                ["inpaint"] = "a patch is predicted when any of its pixels is missing; at least one patch of every example must stay visible",
            });
    }

    /// <summary>What the graphs need of the model: options, sizes and the fixed tensors (positions, class token, mask token).</summary>
    sealed class Parts
    {
        public Parts(Autoencoder model)
        {
            Model = model;
            Options = (MaeOptions)model.Options;
            Patches = Options.Patches(model.Shape);
            var state = model.state_dict();
            Offset = state.ContainsKey("clsToken") ? 1 : 0;
            int rows = model.Shape.Height / Options.PatchSize, columns = model.Shape.Width / Options.PatchSize;
            Positions = state.TryGetValue("posEmbed", out var positions) ? positions : Transformers.SinCosPositions(rows, columns, Options.Width, Offset == 1);
            DecoderPositions = state.TryGetValue("decoderPosEmbed", out var decoderPositions) ? decoderPositions : Transformers.SinCosPositions(rows, columns, Options.DecoderWidth, Offset == 1);
            ClassToken = Offset == 1 ? state["clsToken"] : null;
            MaskToken = state["maskToken"];
        }

        public Autoencoder Model { get; }
        public MaeOptions Options { get; }
        public int Patches { get; }
        public int Offset { get; }
        public Tensor Positions { get; }
        public Tensor DecoderPositions { get; }
        public Tensor? ClassToken { get; }
        public Tensor MaskToken { get; }
        public nn.Module Child(string name) => NnLowering.Child(Model, name);
        public ModuleList<TransformerBlock> Blocks(string name) => (ModuleList<TransformerBlock>)Child(name);
    }

    static OnnxGraph Encoder(Parts parts)
    {
        var graph = new OnnxGraph("encoder", "x → the mean of the encoded patches of the whole image (no class token)");
        var x = graph.Input(FamilyExports.DataSpec(parts.Model.Shape, "x", FamilyExports.DataMeaning(parts.Model.Shape)));
        var latent = Encode(graph, parts, x, keyMask: null);
        var patches = graph.Node("Slice", [latent, graph.Longs(parts.Offset), graph.Longs(parts.Offset + parts.Patches), graph.Longs(1)], "encoded_patches");
        var pooled = graph.Node("ReduceMean", [patches], "pooled", OnnxGraph.Ints("axes", 1), OnnxGraph.Int("keepdims", 0));
        graph.Output(pooled, FamilyExports.LatentSpec("z", parts.Options.Width, "the average-pooled patch feature that linear probes read"));
        return graph;
    }

    static OnnxGraph Decoder(Parts parts)
    {
        var graph = new OnnxGraph("decoder", "z → one code at every patch position of the decoder, decoded: a coarse picture");
        var z = graph.Input(FamilyExports.LatentSpec("z", parts.Options.Width, "a pooled code as encoder.onnx writes it"));
        // [B, E] -> [B, Ed] -> [B, 1, Ed] -> [B, (1+) N, Ed]: the same code stands in for every token
        var embedded = NnLowering.Lower(graph, parts.Child("decoderEmbed"), z, "decoderEmbed");
        var sequence = graph.Node("Expand", [graph.Node("Unsqueeze", [embedded, graph.Longs(1)], "decoder_token"), graph.Longs(1, parts.Offset + parts.Patches, 1)], "decoder_tokens");
        var image = ToImage(graph, parts, DecodeSequence(graph, parts, sequence));
        var output = parts.Options.NormPixLoss ? graph.Node("Add", [graph.Node("Mul", [image, graph.Scalar(0.25f)], "image_scaled"), graph.Scalar(0.5f)], "image_grey") : image;
        graph.Output(Clip(graph, output, "picture"), FamilyExports.DataSpec(parts.Model.Shape, "x_hat", "the decoded picture: " + FamilyExports.DataMeaning(parts.Model.Shape)));
        return graph;
    }

    static OnnxGraph Inpaint(Parts parts)
    {
        var shape = parts.Model.Shape;
        int patchValues = parts.Options.PatchSize * parts.Options.PatchSize * shape.Channels;
        var graph = new OnnxGraph("inpaint", "(x, missing) → x with every patch that holds a missing pixel predicted by the MAE");
        var x = graph.Input(FamilyExports.DataSpec(shape, "x", FamilyExports.DataMeaning(shape) + " (missing pixels may hold anything)"));
        var missing = graph.Input(new TensorSpec("missing", ElementType.Bool, TensorSpec.Batched(shape.Dimensions), "true where a pixel is missing"));
        // bool [B, C, H, W] -> [B, N, p·p·C] -> a patch is hidden when any of its pixels is missing: [B, N]
        var missingPatches = PatchLayout.Patchify(graph, graph.Node("Cast", [missing], "missing_float", OnnxGraph.Int("to", (long)ElementType.Float32)), parts.Options.PatchSize, shape, "missing_patches");
        var hiddenFloat = graph.Node("ReduceMax", [missingPatches], "hidden_patches_float", OnnxGraph.Ints("axes", -1), OnnxGraph.Int("keepdims", 0));
        var hidden = graph.Node("Greater", [hiddenFloat, graph.Scalar(0f)], "hidden_patches");
        // keys that may be attended to: the class token and the visible patches, [B, 1, 1, (1+) N]
        var visibleFloat = graph.Node("Sub", [graph.Scalar(1f), hiddenFloat], "visible_patches_float");
        if (parts.Offset == 1) visibleFloat = graph.Node("Pad", [visibleFloat, graph.Longs(0, 1, 0, 0), graph.Scalar(1f)], "visible_tokens_float");
        var keyMask = graph.Node("Unsqueeze", [graph.Node("Greater", [visibleFloat, graph.Scalar(0.5f)], "attendable"), graph.Longs(1, 2)], "attention_key_mask");
        var latent = Encode(graph, parts, x, keyMask);
        // decoder tokens: the encoded visible patches in place, the mask token at every hidden place
        var embedded = NnLowering.Lower(graph, parts.Child("decoderEmbed"), latent, "decoderEmbed");
        var patches = graph.Node("Slice", [embedded, graph.Longs(parts.Offset), graph.Longs(parts.Offset + parts.Patches), graph.Longs(1)], "decoder_patches");
        var hiddenColumn = graph.Node("Unsqueeze", [hidden, graph.Longs(-1)], "hidden_column");
        patches = graph.Node("Where", [hiddenColumn, graph.Initializer("maskToken", parts.MaskToken), patches], "decoder_patches_masked");
        var sequence = parts.Offset == 1
            ? graph.Node("Concat", [graph.Node("Slice", [embedded, graph.Longs(0), graph.Longs(1), graph.Longs(1)], "decoder_class_token"), patches], "decoder_sequence", OnnxGraph.Int("axis", 1))
            : patches;
        var image = ToImage(graph, parts, DecodeSequence(graph, parts, sequence));
        // hidden patches -> hidden pixels [B, C, H, W]
        var spread = graph.Node("Expand", [graph.Node("Unsqueeze", [hiddenFloat, graph.Longs(-1)], "hidden_patch_column"), graph.Longs(1, 1, patchValues)], "hidden_patch_values");
        var hiddenPixels = graph.Node("Greater", [PatchLayout.Unpatchify(graph, spread, parts.Options.PatchSize, shape, "hidden_pixels_float"), graph.Scalar(0.5f)], "hidden_pixels");
        if (parts.Options.NormPixLoss) image = FromVisibleStatistics(graph, image, x, hiddenPixels);
        var filled = graph.Node("Where", [missing, Clip(graph, image, "prediction"), x], "filled_in");
        graph.Output(filled, FamilyExports.DataSpec(shape, "filled", "x with the missing pixels filled in: " + FamilyExports.DataMeaning(shape)));
        return graph;
    }

    /// <summary>Patch tokens plus positions, the class token first, the encoder blocks and the final norm: [B, (1+) N, E].</summary>
    static string Encode(OnnxGraph graph, Parts parts, string x, string? keyMask)
    {
        using var patchPositions = parts.Positions.narrow(1, parts.Offset, parts.Patches);
        var tokens = graph.Node("Add", [NnLowering.Lower(graph, parts.Child("patchEmbed"), x, "patchEmbed"), graph.Initializer("posEmbed.patches", patchPositions)], "tokens");
        if (parts.ClassToken is not null)
        {
            using var withPosition = parts.ClassToken + parts.Positions.narrow(1, 0, 1);   // [1, 1, E]
            var batch = graph.Node("Shape", [x], "batch_size", OnnxGraph.Int("start", 0), OnnxGraph.Int("end", 1));
            var target = graph.Node("Concat", [batch, graph.Longs(1, parts.Options.Width)], "class_token_shape", OnnxGraph.Int("axis", 0));
            var classTokens = graph.Node("Expand", [graph.Initializer("clsToken.with_position", withPosition), target], "class_tokens");
            tokens = graph.Node("Concat", [classTokens, tokens], "tokens_with_class", OnnxGraph.Int("axis", 1));
        }
        var encoded = NnLowering.Blocks(graph, parts.Blocks("blocks"), tokens, "blocks", keyMask);
        return NnLowering.Lower(graph, parts.Child("norm"), encoded, "norm");
    }

    /// <summary>Decoder tokens [B, (1+) N, Ed] in place order → predicted patches [B, N, p·p·C].</summary>
    static string DecodeSequence(OnnxGraph graph, Parts parts, string sequence)
    {
        var positioned = graph.Node("Add", [sequence, graph.Initializer("decoderPosEmbed", parts.DecoderPositions)], "decoder_positioned");
        var decoded = NnLowering.Lower(graph, parts.Child("decoderNorm"), NnLowering.Blocks(graph, parts.Blocks("decoderBlocks"), positioned, "decoderBlocks", keyMask: null), "decoderNorm");
        var predicted = NnLowering.Lower(graph, parts.Child("decoderPred"), decoded, "decoderPred");
        return graph.Node("Slice", [predicted, graph.Longs(parts.Offset), graph.Longs(parts.Offset + parts.Patches), graph.Longs(1)], "predicted_patches");
    }

    static string ToImage(OnnxGraph graph, Parts parts, string patches) =>
        PatchLayout.Unpatchify(graph, patches, parts.Options.PatchSize, parts.Model.Shape, "predicted_image");

    /// <summary>--norm-pix-loss: predictions back to pixels with the mean and spread of the image's visible pixels.</summary>
    static string FromVisibleStatistics(OnnxGraph graph, string image, string x, string hiddenPixels)
    {
        var axes = graph.Longs(1, 2, 3);
        var visiblePixels = graph.Node("Where", [hiddenPixels, graph.Scalar(0f), x], "visible_pixels");
        var seen = graph.Node("Cast", [graph.Node("Not", [hiddenPixels], "seen_pixels")], "seen_float", OnnxGraph.Int("to", (long)ElementType.Float32));
        var count = graph.Node("Max", [graph.Node("ReduceSum", [seen, axes], "seen_count_raw", OnnxGraph.Int("keepdims", 1)), graph.Scalar(1f)], "seen_count");
        var mean = graph.Node("Div", [graph.Node("ReduceSum", [visiblePixels, axes], "visible_sum", OnnxGraph.Int("keepdims", 1)), count], "visible_mean");
        var deviation = graph.Node("Sub", [visiblePixels, mean], "visible_deviation");
        var squared = graph.Node("Mul", [graph.Node("Mul", [deviation, deviation], "visible_deviation_squared"), seen], "visible_deviation_seen");
        var variance = graph.Node("Div", [graph.Node("ReduceSum", [squared, axes], "visible_square_sum", OnnxGraph.Int("keepdims", 1)), count], "visible_variance");
        var scale = graph.Node("Sqrt", [graph.Node("Add", [variance, graph.Scalar(1e-6f)], "visible_variance_eps")], "visible_spread");
        return graph.Node("Add", [graph.Node("Mul", [image, scale], "image_rescaled"), mean], "image_restored");
    }

    static string Clip(OnnxGraph graph, string input, string output) =>
        graph.Node("Clip", [input, graph.Scalar(0f), graph.Scalar(1f)], output);
}
