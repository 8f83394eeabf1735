using Latent.Families;
using Latent.Data;
using Latent.Models;
using Latent.Models.Denoising;
using Latent.Models.Linear;
using Latent.Models.Masked;
using Latent.Models.Pca;
using Latent.Models.Variational;
using Latent.Models.VectorQuantized;
using Latent.Tests.Models;
using static TorchSharp.torch;

namespace Latent.Tests.Export;

/// <summary>
/// Small seeded models of every family × architecture in the catalogue, plus the variants whose
/// graphs differ (full covariance, whitening, tied weights, several codebook heads with projections, every quantizer,
/// tables and tokens, learned mask values, MAE without class token and with norm-pix-loss), each with
/// a batch of inputs.
/// </summary>
public static class ExportCases
{
    /// <summary>A model in evaluation mode and a batch of examples for it.</summary>
    public sealed record Case(string Family, Autoencoder Model, Tensor Examples);

    static readonly DataShape Images = DataShape.Image(1, 16, 16);

    /// <summary>Every case by name: "family/arch" for the catalogue's, "family/arch/variant" for the others.</summary>
    public static IEnumerable<string> Names =>
        ModelCatalog.Families.SelectMany(family => family.Architectures.Select(architecture => $"{family.Name}/{architecture.ToString().ToLowerInvariant()}"))
            .Concat(Variants.Keys);

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names) data.Add(name);
        return data;
    }

    static readonly Dictionary<string, Func<ModelOptions, ModelOptions>> VariantOptions = new()
    {
        ["vae/mlp/full-covariance"] = options => (VaeOptions)options with { Covariance = Covariance.Full },
        ["vae/conv/gaussian"] = options => (VaeOptions)options with { Likelihood = Likelihood.Gaussian, LearnVariance = true },
        ["vae/conv/discretized-logistic"] = options => (VaeOptions)options with { Likelihood = Likelihood.DiscretizedLogistic },
        ["vae/mlp/discretized-logistic"] = options => (VaeOptions)options with { Likelihood = Likelihood.DiscretizedLogistic },
        ["vae/mlp/binarize-dynamic"] = options => (VaeOptions)options with { Binarize = Binarization.Dynamic },
        ["pca/mlp/whiten"] = options => (PcaOptions)options with { Whiten = true },
        ["linear/mlp/tied"] = options => (LinearOptions)options with { Tied = true },
        ["vqvae/conv/heads"] = options => (VqOptions)options with { Heads = 2, CodeDim = 3, CodebookSize = 16 },
        ["vqvae/mlp/heads"] = options => (VqOptions)options with { Heads = 2, CodebookSize = 16, Slots = 4 },
        ["vqvae/conv/cosine"] = options => (VqOptions)options with { Cosine = true },
        ["vqvae/conv/fsq"] = options => (VqOptions)options with { Quantizer = QuantizerKind.Fsq, Levels = [5, 4, 3, 2], CodebookSize = 120, Heads = 2 },
        ["vqvae/mlp/fsq-projected"] = options => (VqOptions)options with { Quantizer = QuantizerKind.Fsq, CodebookSize = 1 << 12 },
        ["vqvae/conv/lfq"] = options => (VqOptions)options with { Quantizer = QuantizerKind.Lfq, CodebookSize = 256 },
        ["vqvae/mlp/lfq-heads"] = options => (VqOptions)options with { Quantizer = QuantizerKind.Lfq, Heads = 2, CodebookSize = 64 },
        ["vqvae/conv/rvq"] = options => (VqOptions)options with { Quantizer = QuantizerKind.Rvq, Stages = 3 },
        ["vqvae/mlp/rvq-shared-heads"] = options => (VqOptions)options with { Quantizer = QuantizerKind.Rvq, Stages = 2, SharedCodebook = true, Heads = 2, CodeDim = 3, CodebookSize = 16 },
        ["dae/mlp/learned-mask"] = options => (DaeOptions)options with { LearnMaskValue = true },
        ["dae/conv/gaussian"] = options => (DaeOptions)options with { Noise = "gaussian:0.3" },
        ["dae/mlp/table"] = options => options,
        ["ae/mlp/table"] = options => options,
        ["vae/mlp/table"] = options => options,
        ["vqvae/mlp/table"] = options => options,
        ["dae/mlp/tokens"] = options => options,
        ["dae/transformer/tokens"] = options => options,
        ["mae/vit/norm-pix-no-cls"] = options => (MaeOptions)options with { NormPixLoss = true, ClsToken = false },
    };

    static IReadOnlyDictionary<string, Func<ModelOptions, ModelOptions>> Variants => VariantOptions;

    /// <summary>Builds the named case (seeded), with trained-looking buffers where the model has them.</summary>
    public static Case Build(string name)
    {
        var parts = name.Split('/');
        var family = ModelCatalog.Find(parts[0]);
        var architecture = Enum.Parse<Architecture>(parts[1], ignoreCase: true);
        var shape = name.EndsWith("/table") ? DataShape.Table(6) : name.EndsWith("/tokens") ? DataShape.Tokens(12, 9) : Images;
        var options = family.DefaultOptions() with { Arch = architecture, LatentDim = 8, Hidden = [32], Channels = [8, 16] };
        options = options switch
        {
            MaeOptions mae => mae with { Width = 32, DecoderWidth = 16, Depth = 2, DecoderDepth = 1 },
            DaeOptions dae => dae with { Width = 16, Depth = 2 },
            VqOptions vq => vq with { CodebookSize = 32, Slots = 4, PriorEpochs = 0 },
            _ => options,
        };
        if (VariantOptions.TryGetValue(name, out var variant)) options = variant(options);
        options.Validate(shape);
        manual_seed(17);
        var model = family.Create(options, shape);
        var examples = Examples(shape, 5);
        Settle(model, shape);
        model.eval();
        return new Case(family.Name, model, examples);
    }

    static Tensor Examples(DataShape shape, int count) => shape.Kind switch
    {
        DataKind.Image => rand([count, .. shape.Dimensions]),
        DataKind.Table => randn(count, shape.Width) * 3 + 5,
        _ => randint(Vocabulary.Reserved, shape.VocabularySize, [count, shape.Width]),
    };

    /// <summary>Gives the buffers that training or fitting would set values other than their initial ones (means, spreads, PCA axes).</summary>
    static void Settle(Autoencoder model, DataShape shape)
    {
        using var noGrad = no_grad();
        if (model is IClosedForm closedForm)
        {
            closedForm.Fit(new Dataset(Examples(shape, 64), shape));
            return;
        }
        foreach (var (key, tensor) in model.state_dict())
        {
            if (key is "mean" or "standardizer.mean") tensor.copy_(randn_like(tensor) * 0.3 + 0.4);
            else if (key is "standardizer.variance" or "standardizer.scale") tensor.copy_(rand_like(tensor) * 4 + 0.5);
            else if (key is "maskEmbedding") tensor.copy_(rand_like(tensor));
        }
    }

    /// <summary>A random mask of missing elements for inpainting, in the model's units (whole patches for a MAE), never hiding the first unit.</summary>
    public static Tensor Missing(Autoencoder model, Tensor examples, double fraction = 0.4)
    {
        var shape = model.Shape;
        long count = examples.shape[0];
        if (shape.Kind != DataKind.Image) return rand(count, shape.Width).lt(fraction);
        int unit = ((IInpainting)model).MaskUnit;
        var units = rand(count, shape.Height / unit, shape.Width / unit).lt(fraction);
        units[.., 0, 0] = tensor(false);
        return units.repeat_interleave(unit, 1).repeat_interleave(unit, 2).unsqueeze(1).expand(count, shape.Channels, shape.Height, shape.Width).contiguous();
    }
}
