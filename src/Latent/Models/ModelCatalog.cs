using Latent.Data;
using Latent.Models.Linear;
using Latent.Models.Pca;
using Latent.Models.Denoising;
using Latent.Models.Masked;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Models.VectorQuantized;

namespace Latent.Models;

/// <summary>One model family: its command-line name, its options type and how to build it.</summary>
public sealed record ModelFamily(
    string Name,
    string Summary,
    Type OptionsType,
    IReadOnlyList<Architecture> Architectures,
    Func<ModelOptions> DefaultOptions,
    Func<ModelOptions, DataShape, Autoencoder> Create)
{
    /// <summary>
    /// Fitted in closed form by <see cref="IClosedForm.Fit"/> (<c>latent NAME</c>, e.g. <c>latent pca</c>)
    /// rather than trained by gradient descent; its runs have no training options.
    /// </summary>
    public bool ClosedForm { get; init; }

    /// <summary>The training options <c>latent train --model NAME</c> starts from, before the command line's.</summary>
    public Training.TrainingOptions DefaultTraining { get; init; } = new();

    /// <summary>Builds a family whose options are <typeparamref name="TOptions"/>.</summary>
    public static ModelFamily Of<TOptions>(string name, string summary, Architecture[] architectures,
                                           Func<TOptions, DataShape, Autoencoder> create)
        where TOptions : ModelOptions, new() =>
        new(name, summary, typeof(TOptions), architectures, () => new TOptions(), (options, shape) => create((TOptions)options, shape));
}

/// <summary>The one catalogue that maps a family name (<c>--model</c>) to its factory.</summary>
public static class ModelCatalog
{
    public static readonly IReadOnlyList<ModelFamily> Families =
    [
        ModelFamily.Of<PlainOptions>("ae", "plain autoencoder: deterministic encoder and decoder, ℓ2 reconstruction loss",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new PlainAutoencoder(options, shape)),
        ModelFamily.Of<LinearOptions>("linear", "linear autoencoder: x̂ = VU(x − μ) + μ by gradient descent, whose optimum is PCA's subspace (--tied: V = Uᵀ)",
            [Architecture.Mlp], (options, shape) => new LinearAutoencoder(options, shape))
            with { DefaultTraining = new() { Lr = LinearOptions.RecommendedLearningRate } },
        ModelFamily.Of<PcaOptions>("pca", "principal component analysis, fitted in closed form by 'latent pca' (exact, the linear optimum)",
            [Architecture.Mlp], (options, shape) => new PcaModel(options, shape)) with { ClosedForm = true },
        ModelFamily.Of<DaeOptions>("dae", "denoising autoencoder: corrupt the input (mask, Gaussian, salt-and-pepper), reconstruct the clean one",
            [Architecture.Mlp, Architecture.Conv, Architecture.Transformer], (options, shape) => new DenoisingAutoencoder(options, shape)),
        ModelFamily.Of<MaeOptions>("mae", "masked autoencoder: a ViT encodes the visible quarter of the patches, a light decoder predicts the rest",
            [Architecture.Vit], (options, shape) => new MaskedAutoencoder(options, shape)),
        ModelFamily.Of<VaeOptions>("vae", "variational autoencoder: Gaussian encoder, loss recon + λ·KL(q(z|x) ‖ N(0, I)), samples from N(0, I)",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new VariationalAutoencoder(options, shape)),
        ModelFamily.Of<VqOptions>("vqvae", "VQ-VAE: nearest of K codes per position, straight-through gradient, codebook and commitment losses, prior over codes",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new VqVae(options, shape)),
    ];

    public static ModelFamily Find(string name) =>
        Families.FirstOrDefault(family => family.Name == name.Trim().ToLowerInvariant())
        ?? throw new UserInputException($"unknown model '{name}'; pass --model with one of: {string.Join(", ", Families.Select(f => f.Name))}");

    /// <summary>The family a model belongs to.</summary>
    public static ModelFamily Of(ModelOptions options) =>
        Families.First(family => family.OptionsType == options.GetType());
}
