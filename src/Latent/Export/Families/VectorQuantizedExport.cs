// The VQ-VAE (van den Oord et al. 2017) as two ONNX graphs: the encoder network to z_e at every latent position, then
// the quantizer's codes; and the codes' vectors through the decoder network. The quantizer, whichever IQuantizer it
// is (learned codebooks, residual stages, FSQ, LFQ), is lowered by QuantizerLowering.

using Latent.Models;
using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>
/// The VQ-VAE: encoder.onnx x → codes int64 [B, P, C]; decoder.onnx codes → x̂, as Codes and
/// DecodeCodes (from all stages of a residual quantizer). Random inputs for the decoder are uniform codes in [0, K) (the prior over codes is a
/// separate model and is not exported).
/// </summary>
internal sealed class VectorQuantizedExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model is IDiscreteCodes;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        var codes = (IDiscreteCodes)model;
        var lowering = QuantizerLowering.For(NnLowering.Child(model, "quantizer"));
        int positions = codes.Grid.Aggregate(1, (a, b) => a * b), perPosition = codes.Space.CodesPerPosition, channels = model.Options.LatentDim;
        bool grid = codes.Grid.Count == 2;
        var codeShape = new object[] { OnnxGraph.Batch, positions, perPosition };
        string codeMeaning = $"the code of each of {positions} positions ({string.Join("×", codes.Grid)}, row-major) and {CodesOfAPosition(codes.Space)}, int64 in [0, {codes.CodebookSize})";

        var encoder = new OnnxGraph("encoder", "x → the codes of every position");
        var x = encoder.Input(FamilyExports.DataSpec(model.Shape, "x", FamilyExports.DataMeaning(model.Shape)));
        var features = NnLowering.Lower(encoder, NnLowering.Child(model, "encoder"), FamilyExports.ToModelUnits(encoder, model, x), "encoder");
        var continuous = grid
            // [B, C, h, w] -> [B, h, w, C] -> [B, h·w, C]
            ? encoder.Node("Reshape", [encoder.Node("Transpose", [features], "z_e.channels_last", OnnxGraph.Ints("perm", 0, 2, 3, 1)), encoder.Longs(-1, positions, channels)], "z_e")
            // [B, P·C] -> [B, P, C]
            : encoder.Node("Reshape", [features, encoder.Longs(-1, positions, channels)], "z_e");
        var allCodes = lowering.Codes(encoder, continuous);
        encoder.Output(allCodes, new TensorSpec("codes", ElementType.Int64, codeShape, codeMeaning));

        var decoder = new OnnxGraph("decoder", "codes → x̂: code vectors looked up, projected and decoded");
        var input = decoder.Input(new TensorSpec("codes", ElementType.Int64, codeShape, codeMeaning));
        var zq = lowering.Embed(decoder, input);
        var network = grid
            // [B, h·w, C] -> [B, h, w, C] -> [B, C, h, w]
            ? decoder.Node("Transpose", [decoder.Node("Reshape", [zq, decoder.Longs(-1, codes.Grid[0], codes.Grid[1], channels)], "z_q.grid")], "z_q", OnnxGraph.Ints("perm", 0, 3, 1, 2))
            // [B, P, C] -> [B, P·C]
            : decoder.Node("Reshape", [zq, decoder.Longs(-1, (long)positions * channels)], "z_q");
        var output = FamilyExports.ToDataUnits(decoder, model, NnLowering.Lower(decoder, NnLowering.Child(model, "decoder"), network, "decoder"));
        decoder.Output(output, FamilyExports.DataSpec(model.Shape, "x_hat", "the decoded codes: " + FamilyExports.DataMeaning(model.Shape)));

        var notes = new Dictionary<string, string>
        {
            ["codes"] = codes.Space.MixedRadix
                ? $"{codes.BitsPerExample} bits per example: the {positions}×{perPosition} codes as one mixed-radix integer, ⌈{positions * perPosition}·log2 {codes.CodebookSize}⌉ bits"
                : $"{codes.BitsPerExample} bits per example: {positions} positions × {perPosition} code(s) × ⌈log2 {codes.CodebookSize}⌉ bits",
            ["latent"] = "random codes (uniform in [0, K)) decode to texture, not samples: the prior over codes that 'latent sample' uses is not exported",
        };
        return new FamilyExportPlan([new("encoder", encoder), new("decoder", decoder)], new LatentPrior("uniform_codes", codes.CodebookSize), notes);
    }

    /// <summary>What the codes of one position are, in words.</summary>
    static string CodesOfAPosition(CodeSpace space) => space.Quantizer switch
    {
        QuantizerKind.Rvq => $"{space.Stages} residual stage(s) × {space.Heads} head(s), code s·{space.Heads} + h for stage s and head h, coarse first",
        QuantizerKind.Fsq => $"{space.Heads} head(s), each the mixed-radix number Σ_i digit_i·Π_(j<i) L_j of its digits in [0, L_i) for levels {string.Join(",", space.Levels)}",
        QuantizerKind.Lfq => $"{space.Heads} head(s), each Σ_i 2^i·1[z_i > 0] over its {space.BitsPerCode} sign bits",
        _ => $"{space.Heads} head(s)",
    };
}
