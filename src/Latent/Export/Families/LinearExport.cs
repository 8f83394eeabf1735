// The affine maps of the linear autoencoder and of PCA (Pearson 1901; Hotelling 1933):
//   linear   z = U(x − μ),            x̂ = Vz + μ   (V = Uᵀ when tied)
//   pca      z = W(x − μ) [/ √λ],     x̂ = Wᵀ([√λ ·] z) + μ   (whitening divides each code by √λₖ)
// written as the same Sub, MatMul, Div and Add the models compute, with μ, U, V, W as initializers.

using Latent.Models;
using Latent.Models.Linear;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>PCA and the linear autoencoder: encoder.onnx and decoder.onnx are their affine maps, with the mean inside the graphs.</summary>
internal sealed class LinearExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model is ILinearCode && model.Options is PcaOptions or LinearOptions;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        int components = model.Options.LatentDim;
        var state = model.state_dict();
        var whiten = model.Options is PcaOptions { Whiten: true };
        // encoder [K, F] (z = (x − μ) Aᵀ) and decoder [K, F] (x̂ = z B + μ)
        var (encoderName, decoderName, decoderTransposed) = model.Options is PcaOptions
            ? ("components", "components", false)
            : state.ContainsKey("decoder.weight") ? ("encoder.weight", "decoder.weight", true) : ("encoder.weight", "encoder.weight", false);
        using var scale = whiten ? WhiteningScale(state["explained_variance"], state["mean"].dtype) : null;

        var encoder = new OnnxGraph("encoder", whiten ? "x → z = Λ^-½ W(x − μ), the whitened principal components" : "x → z = U(x − μ), the affine encoder");
        var x = encoder.Input(FamilyExports.DataSpec(model.Shape, "x", FamilyExports.DataMeaning(model.Shape)));
        var flat = encoder.Node("Flatten", [x], "x_flat", OnnxGraph.Int("axis", 1));
        var centred = encoder.Node("Sub", [flat, encoder.Initializer("mean", state["mean"])], "x_centred");
        var map = encoder.Node("Transpose", [encoder.Initializer(encoderName, state[encoderName])], "encoder_t", OnnxGraph.Ints("perm", 1, 0));
        var z = encoder.Node("MatMul", [centred, map], "projection");
        if (scale is not null) z = encoder.Node("Div", [z, encoder.Initializer("whitening_scale", scale)], "whitened");
        encoder.Output(z, FamilyExports.LatentSpec("z", components, whiten ? "the codes, each scaled to unit variance on the training data" : "the codes"));

        var decoder = new OnnxGraph("decoder", "z → x̂, the affine decoder (the mean added back)");
        var code = decoder.Input(FamilyExports.LatentSpec("z", components, "codes as encoder.onnx writes them"));
        if (scale is not null) code = decoder.Node("Mul", [code, decoder.Initializer("whitening_scale", scale)], "unwhitened");
        var weights = decoder.Initializer(decoderName, state[decoderName]);
        if (decoderTransposed) weights = decoder.Node("Transpose", [weights], "decoder_t", OnnxGraph.Ints("perm", 1, 0));
        var restored = decoder.Node("Add", [decoder.Node("MatMul", [code, weights], "reconstruction_centred"), decoder.Initializer("mean", state["mean"])], "reconstruction_flat");
        decoder.Output(NnLowering.Reshape(decoder, restored, model.Shape.Dimensions, "reconstruction"),
            FamilyExports.DataSpec(model.Shape, "x_hat", "the reconstruction: " + FamilyExports.DataMeaning(model.Shape) + " (not clamped: the map is linear)"));

        var notes = new Dictionary<string, string>
        {
            ["mean"] = "the training mean μ is subtracted inside encoder.onnx and added back inside decoder.onnx (initializer 'mean'): feed raw inputs",
            ["latent"] = whiten ? "the codes have unit variance on the training data: z ~ N(0, I) is a Gaussian model of it" : "no prior over z; decode codes that encoder.onnx produced",
        };
        return new FamilyExportPlan([new("encoder", encoder), new("decoder", decoder)], whiten ? LatentPrior.StandardNormal : LatentPrior.None, notes);
    }

    /// <summary>√λₖ, or 1 for a zero-variance component, as PcaModel scales its codes.</summary>
    static Tensor WhiteningScale(Tensor variance, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var resolved = variance > variance[0] * PrincipalComponents.ZeroVarianceTolerance;
        return where(resolved, variance.sqrt(), ones_like(variance)).to(dtype).MoveToOuterDisposeScope();
    }
}
