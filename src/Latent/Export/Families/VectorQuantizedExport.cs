// The VQ-VAE's discrete bottleneck as ONNX operators (van den Oord et al. 2017, §3.1): at every latent
// position and head, the code k = argminⱼ ‖z − eⱼ‖² = argminⱼ (‖eⱼ‖² − 2 z·eⱼ), since ‖z‖² is the same for
// every code: one MatMul against the codebook and an ArgMin per head. Decoding looks the codes up
// (Gather), concatenates the heads, projects out where the codes are narrower than z_e, and decodes.
// Cosine codes (ViT-VQGAN) export their l2-normalised codebook: with ‖eⱼ‖ = 1 the same argmin is argmaxⱼ z·eⱼ, the
// cosine similarity's, since z's own norm scales every score alike; and a looked-up code is already normalised.

using Latent.Models;
using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>
/// The VQ-VAE: encoder.onnx x → codes int64 [B, P, L]; decoder.onnx codes → x̂, as Codes and
/// DecodeCodes. Random inputs for the decoder are uniform codes in [0, K) (the prior over codes is a
/// separate model and is not exported).
/// </summary>
internal sealed class VectorQuantizedExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model is IDiscreteCodes;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        var codes = (IDiscreteCodes)model;
        if (codes.Space.Quantizer != QuantizerKind.Vq)
            throw new UserInputException(
                $"cannot export a {nameof(VqOptions.Quantizer)} {OptionNames.Kebab(codes.Space.Quantizer)} VQ-VAE to ONNX yet; only {nameof(VqOptions.Quantizer)} vq (learned codebooks, {nameof(VqOptions.Cosine)} included) is covered",
                nameof(VqOptions.Quantizer), nameof(VqOptions.Cosine));
        if (NnLowering.Child(model, "quantizer") is not VectorQuantizer quantizer)
            throw NnLowering.Unsupported(NnLowering.Child(model, "quantizer"), "quantizer", "only nearest-code quantisers are covered");
        int positions = codes.Grid.Aggregate(1, (a, b) => a * b), heads = codes.Heads, channels = model.Options.LatentDim;
        bool grid = codes.Grid.Count == 2;
        var codeShape = new object[] { OnnxGraph.Batch, positions, heads };
        string codeMeaning = $"the code of each of {positions} positions ({string.Join("×", codes.Grid)}, row-major) and {heads} head(s), int64 in [0, {codes.CodebookSize})";

        var encoder = new OnnxGraph("encoder", "x → the nearest code of every position and head");
        var x = encoder.Input(FamilyExports.DataSpec(model.Shape, "x", FamilyExports.DataMeaning(model.Shape)));
        var features = NnLowering.Lower(encoder, NnLowering.Child(model, "encoder"), FamilyExports.ToModelUnits(encoder, model, x), "encoder");
        var continuous = grid
            // [B, C, h, w] -> [B, h, w, C] -> [B, h·w, C]
            ? encoder.Node("Reshape", [encoder.Node("Transpose", [features], "z_e.channels_last", OnnxGraph.Ints("perm", 0, 2, 3, 1)), encoder.Longs(-1, positions, channels)], "z_e")
            // [B, P·C] -> [B, P, C]
            : encoder.Node("Reshape", [features, encoder.Longs(-1, positions, channels)], "z_e");
        var projected = Optional(quantizer, "project_in") is { } projectIn ? NnLowering.Lower(encoder, projectIn, continuous, "quantizer.project_in") : continuous;
        // [B, P, L·D] -> [B, P, L, D]
        var parts = encoder.Node("Reshape", [projected, encoder.Longs(0, 0, heads, quantizer.CodeDimension)], "z_e.heads");
        var chosen = new List<string>();
        for (int head = 0; head < heads; head++)
        {
            string prefix = $"quantizer.codebooks.{head}";
            var vectors = encoder.Node("Squeeze", [encoder.Node("Slice", [parts, encoder.Longs(head), encoder.Longs(head + 1), encoder.Longs(2)], $"{prefix}.slice"), encoder.Longs(2)], $"{prefix}.vectors");
            using var embedding = quantizer.Codebooks[head].Codes.detach();
            var codebook = encoder.Initializer($"{prefix}.embed", embedding);
            using var squaredNorms = embedding.square().sum(1);
            var transposed = encoder.Node("Transpose", [codebook], $"{prefix}.embed_t", OnnxGraph.Ints("perm", 1, 0));
            // ‖e‖² − 2 z·e, [B, P, K]
            var products = encoder.Node("MatMul", [vectors, transposed], $"{prefix}.dot");
            var scores = encoder.Node("Add", [encoder.Node("Mul", [products, encoder.Scalar(-2f)], $"{prefix}.minus_two_dot"), encoder.Initializer($"{prefix}.squared_norms", squaredNorms)], $"{prefix}.distance");
            chosen.Add(encoder.Node("ArgMin", [scores], $"{prefix}.code", OnnxGraph.Int("axis", -1), OnnxGraph.Int("keepdims", 1)));
        }
        var allCodes = heads == 1 ? chosen[0] : encoder.Node("Concat", chosen, "codes.concat", OnnxGraph.Int("axis", 2));
        encoder.Output(allCodes, new TensorSpec("codes", ElementType.Int64, codeShape, codeMeaning));

        var decoder = new OnnxGraph("decoder", "codes → x̂: code vectors looked up, projected and decoded");
        var input = decoder.Input(new TensorSpec("codes", ElementType.Int64, codeShape, codeMeaning));
        var looked = new List<string>();
        for (int head = 0; head < heads; head++)
        {
            string prefix = $"quantizer.codebooks.{head}";
            var index = decoder.Node("Squeeze", [decoder.Node("Slice", [input, decoder.Longs(head), decoder.Longs(head + 1), decoder.Longs(2)], $"{prefix}.slice"), decoder.Longs(2)], $"{prefix}.index");
            using var embedding = quantizer.Codebooks[head].Codes.detach();
            looked.Add(decoder.Node("Gather", [decoder.Initializer($"{prefix}.embed", embedding), index], $"{prefix}.vector", OnnxGraph.Int("axis", 0)));
        }
        // [B, P, D] per head -> [B, P, L·D]
        var joined = heads == 1 ? looked[0] : decoder.Node("Concat", looked, "z_q.heads", OnnxGraph.Int("axis", 2));
        var zq = Optional(quantizer, "project_out") is { } projectOut ? NnLowering.Lower(decoder, projectOut, joined, "quantizer.project_out") : joined;
        var network = grid
            // [B, h·w, C] -> [B, h, w, C] -> [B, C, h, w]
            ? decoder.Node("Transpose", [decoder.Node("Reshape", [zq, decoder.Longs(-1, codes.Grid[0], codes.Grid[1], channels)], "z_q.grid")], "z_q", OnnxGraph.Ints("perm", 0, 3, 1, 2))
            // [B, P, C] -> [B, P·C]
            : decoder.Node("Reshape", [zq, decoder.Longs(-1, (long)positions * channels)], "z_q");
        var output = FamilyExports.ToDataUnits(decoder, model, NnLowering.Lower(decoder, NnLowering.Child(model, "decoder"), network, "decoder"));
        decoder.Output(output, FamilyExports.DataSpec(model.Shape, "x_hat", "the decoded codes: " + FamilyExports.DataMeaning(model.Shape)));

        var notes = new Dictionary<string, string>
        {
            ["codes"] = $"{codes.BitsPerExample} bits per example: {positions} positions × {heads} head(s) × ⌈log2 {codes.CodebookSize}⌉ bits",
            ["latent"] = "random codes (uniform in [0, K)) decode to texture, not samples: the prior over codes that 'latent sample' uses is not exported",
        };
        return new FamilyExportPlan([new("encoder", encoder), new("decoder", decoder)], new LatentPrior("uniform_codes", codes.CodebookSize), notes);
    }

    static nn.Module? Optional(nn.Module module, string name) =>
        module.named_children().FirstOrDefault(child => child.name == name).module;
}
