using Latent.Models;
using Latent.Models.Plain;

namespace Latent.Export;

/// <summary>The plain autoencoder: encoder.onnx x → z, decoder.onnx z → x̂ (sigmoid for images), as Encode and Decode.</summary>
internal sealed class PlainExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model.Options is PlainOptions;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        int dimension = model.Options.LatentDim;
        var encoder = FamilyExports.Encoder(model, "x → z, the autoencoder's code", "z", $"the code, {dimension} numbers per example", dimension);
        var decoder = FamilyExports.Decoder(model, "z → x̂, the decoder", "z", $"a code, {dimension} numbers per example", dimension);
        return new FamilyExportPlan([new("encoder", encoder), new("decoder", decoder)], LatentPrior.None,
            new Dictionary<string, string> { ["latent"] = "a plain autoencoder has no prior over z: decode codes that encoder.onnx produced (or points between them)" });
    }
}
