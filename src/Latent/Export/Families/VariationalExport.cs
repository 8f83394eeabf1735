// The VAE's Gaussian encoder q(z|x) = N(μ(x), Σ(x)) and its decoder's mean E[x|z] (Kingma & Welling 2014).
// The encoder network emits [μ (D) | log Σⱼⱼ (D) | the D(D−1)/2 strictly-lower Cholesky entries, row-major (full Σ only)];
// the full covariance's factor is L = strictly-lower + diag(exp(½ log Lⱼⱼ²)), as VariationalAutoencoder.Infer builds it.

using Latent.Models;
using Latent.Models.Variational;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>
/// The VAE: encoder.onnx x → mean, log_variance (and cholesky [B, D, D] for a full covariance);
/// decoder.onnx z → the mean of p(x|z) (Bernoulli probabilities, or the Gaussian mean, through a
/// sigmoid for images; for the discretised logistic its mean μ, the first half of the decoder's channels, clamped
/// to [0, 1]), as Decode. Random latents are N(0, I), the prior.
/// </summary>
internal sealed class VariationalExport : IFamilyExport
{
    public bool Applies(Autoencoder model) => model is IVariational && model.Options is VaeOptions;

    public FamilyExportPlan Plan(Autoencoder model)
    {
        var options = (VaeOptions)model.Options;
        if (options.Prior == Prior.Vamp)
            throw new UserInputException($"cannot export a VAE with {nameof(VaeOptions.Prior)} vamp to ONNX: its prior is a mixture over the posteriors of learned pseudo-inputs, which export.json's latent_prior (N(0, I), uniform codes or none) cannot describe; train with {nameof(VaeOptions.Prior)} standard to export",
                nameof(VaeOptions.Prior));
        int dimension = options.LatentDim;
        var graph = new OnnxGraph("encoder", "x → q(z|x) = N(mean, Σ): the posterior's parameters");
        var x = graph.Input(FamilyExports.DataSpec(model.Shape, "x", FamilyExports.DataMeaning(model.Shape)));
        var outputs = NnLowering.Lower(graph, NnLowering.Child(model, "encoder"), FamilyExports.ToModelUnits(graph, model, x), "encoder");
        var mean = Columns(graph, outputs, 0, dimension, "posterior.mean");
        var logVariance = Columns(graph, outputs, dimension, 2 * dimension, "posterior.log_variance");
        graph.Output(mean, FamilyExports.LatentSpec("mean", dimension, "μ, the posterior mean (the code Encode returns)"));
        bool full = options.Covariance == Covariance.Full;
        graph.Output(logVariance, FamilyExports.LatentSpec("log_variance", dimension,
            full ? "log Lⱼⱼ², the log of the Cholesky factor's squared diagonal (Σ log_variance = log det Σ)" : "log σⱼ², the posterior's log-variance per dimension"));
        if (full)
            graph.Output(Cholesky(graph, outputs, logVariance, dimension),
                new TensorSpec("cholesky", ElementType.Float32, [OnnxGraph.Batch, dimension, dimension], "L, lower triangular with positive diagonal, Σ = L·Lᵀ; z = mean + L·ε"));

        var likelihood = options.LikelihoodFor(model.Shape);
        string zMeaning = $"a latent point, {dimension} numbers; draw z ~ N(0, I) to sample";
        var decoder = likelihood == Likelihood.DiscretizedLogistic
            ? LogisticMeanDecoder(model, zMeaning, dimension)
            : FamilyExports.Decoder(model, "z → the mean of p(x|z)", "z", zMeaning, dimension);
        var notes = new Dictionary<string, string>
        {
            ["latent"] = "sample by decoding z ~ N(0, I); encode by mean (or draw z = mean + exp(½·log_variance)·ε" + (full ? ", or mean + cholesky·ε" : "") + ")",
            ["decoder"] = likelihood switch
            {
                Likelihood.Bernoulli => "x_hat holds Bernoulli probabilities (the mean of p(x|z))",
                Likelihood.DiscretizedLogistic => "x_hat is μ of the discretised logistic p(x|z), clamped to [0, 1] (its log-scales, the likelihood's other half, are not exported)",
                _ => "x_hat is the mean of the Gaussian p(x|z)",
            },
        };
        if (options.Binarize == Binarization.Dynamic)
            notes["encoder"] = "trained on binarised images (each pixel a draw from Bernoulli(grey level)); grey images encode too, as the run's reports do";
        return new FamilyExportPlan([new("encoder", graph), new("decoder", decoder)], LatentPrior.StandardNormal, notes);
    }

    /// <summary>z → μ of the discretised logistic: the first C of the decoder's 2C channels ([μ | log s]), clamped to [0, 1], as Decode.</summary>
    static OnnxGraph LogisticMeanDecoder(Autoencoder model, string zMeaning, int dimension)
    {
        var graph = new OnnxGraph("decoder", "z → μ of the discretised logistic p(x|z), clamped to [0, 1]");
        var z = graph.Input(FamilyExports.LatentSpec("z", dimension, zMeaning));
        var output = NnLowering.Lower(graph, NnLowering.Child(model, "decoder"), z, "decoder");
        // [B, 2C, H, W] -> μ [B, C, H, W]
        var mean = graph.Node("Slice", [output, graph.Longs(0), graph.Longs(model.Shape.Channels), graph.Longs(1)], "decoder.logistic_mean");
        var clamped = graph.Node("Clip", [mean, graph.Scalar(0f), graph.Scalar(1f)], "decoder.clamped");
        graph.Output(clamped, FamilyExports.DataSpec(model.Shape, "x_hat", "the reconstruction: " + FamilyExports.DataMeaning(model.Shape)));
        return graph;
    }

    /// <summary>Columns [start, end) of a [B, n] value.</summary>
    static string Columns(OnnxGraph graph, string input, long start, long end, string output) =>
        graph.Node("Slice", [input, graph.Longs(start), graph.Longs(end), graph.Longs(1)], output);

    /// <summary>L [B, D, D]: the strictly-lower entries scattered by a 0/1 matrix (exact), plus exp(½ log Lⱼⱼ²) on the diagonal.</summary>
    static string Cholesky(OnnxGraph graph, string outputs, string logVariance, int dimension)
    {
        long entries = (long)dimension * (dimension - 1) / 2;
        var lower = Columns(graph, outputs, 2L * dimension, 2L * dimension + entries, "posterior.lower_entries");
        // Entry e (the e-th of tril_indices(D, D, −1), row-major) goes to flat position j·D + k.
        using var scatter = zeros(entries, (long)dimension * dimension);
        using var indices = tril_indices(dimension, dimension, offset: -1);
        var rows = indices[0].data<long>().ToArray();
        var columns = indices[1].data<long>().ToArray();
        for (int e = 0; e < entries; e++) scatter[e, rows[e] * dimension + columns[e]] = tensor(1f);
        var placed = graph.Node("MatMul", [lower, graph.Initializer("cholesky_scatter", scatter)], "posterior.lower_flat");
        var strictlyLower = NnLowering.Reshape(graph, placed, [dimension, dimension], "posterior.strictly_lower");
        // [B, D] -> [B, D, 1] · I [D, D] -> [B, D, D] with exp(½ log Lⱼⱼ²) on the diagonal
        var diagonal = graph.Node("Exp", [graph.Node("Mul", [logVariance, graph.Scalar(0.5f)], "posterior.half_log_variance")], "posterior.diagonal");
        using var identity = eye(dimension);
        var spread = graph.Node("Mul", [graph.Node("Unsqueeze", [diagonal, graph.Longs(-1)], "posterior.diagonal_column"), graph.Initializer("identity", identity)], "posterior.diagonal_matrix");
        return graph.Node("Add", [strictlyLower, spread], "posterior.cholesky");
    }
}
