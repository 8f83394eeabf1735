using Latent.Data;
using Latent.Models;
using Latent.Models.Denoising;
using Latent.Models.Linear;
using Latent.Models.Masked;
using Latent.Models.Pca;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Models.VectorQuantized;
using Latent.Training;

namespace Latent.Families;

/// <summary>
/// One model family: its command-line name, its options type, the architectures it builds, how to
/// build it and how it is trained by default. What a family is — its model, options and loss — lives in
/// its folder under Models/; this is the one entry that makes it known.
/// </summary>
public sealed record ModelFamily(
    string Name,
    string Summary,
    Type OptionsType,
    Type ModelType,
    IReadOnlyList<Architecture> Architectures,
    Func<ModelOptions> DefaultOptions,
    Func<ModelOptions, DataShape, Autoencoder> Create)
{
    /// <summary>
    /// Fitted in closed form by <see cref="IClosedForm.Fit"/> (<c>latent NAME</c>, e.g. <c>latent pca</c>)
    /// rather than trained by gradient descent: what its model type is, not a separate flag.
    /// </summary>
    public bool ClosedForm => typeof(IClosedForm).IsAssignableFrom(ModelType);

    /// <summary>The training options <c>latent train --model NAME</c> starts from, before the command line's.</summary>
    public TrainingOptions DefaultTraining { get; init; } = new();

    /// <summary>Builds a family whose options are <typeparamref name="TOptions"/> and whose model is <typeparamref name="TModel"/>.</summary>
    public static ModelFamily Of<TOptions, TModel>(string name, string summary, Architecture[] architectures, Func<TOptions, DataShape, TModel> create)
        where TOptions : ModelOptions, new() where TModel : Autoencoder =>
        new(name, summary, typeof(TOptions), typeof(TModel), architectures, () => new TOptions(), (options, shape) => create((TOptions)options, shape));

    /// <summary>
    /// Checks options for this family on data of this shape: the architecture is one the family builds, no option
    /// that does not apply to it was changed, and the family's own rules hold. A <see cref="UserInputException"/> otherwise.
    /// </summary>
    public void Validate(ModelOptions options, DataShape shape)
    {
        if (options.GetType() != OptionsType)
            throw new ArgumentException($"{options.GetType().Name} are not the options of {Name}", nameof(options));
        if (!Architectures.Contains(options.Arch))
        {
            var others = ModelCatalog.Families.Where(family => family.Architectures.Contains(options.Arch)).Select(family => $"{ModelOptions.FamilyOption} {family.Name}").ToList();
            throw new UserInputException($"{nameof(ModelOptions.Arch)} {OptionNames.Kebab(options.Arch)} is not available for {ModelOptions.FamilyOption} {Name}; pass {(Architectures.Count == 1 ? "" : "one of ")}{nameof(ModelOptions.Arch)} {string.Join(" | ", Architectures.Select(arch => OptionNames.Kebab(arch)))}" +
                                         (others.Count > 0 ? $" (or {string.Join(", ", others)}, which builds it)" : ""), nameof(ModelOptions.Arch), ModelOptions.FamilyOption);
        }
        foreach (var unused in options.UnusedButChanged())
        {
            var (where, fix) = options.Choice?.Refusal(unused) ?? ("", "");
            string[] named = options.Choice is { } choice ? [unused, ModelOptions.FamilyOption, nameof(ModelOptions.Arch), choice.Property] : [unused, ModelOptions.FamilyOption, nameof(ModelOptions.Arch)];
            throw new UserInputException($"{unused} does not apply to {ModelOptions.FamilyOption} {Name}{(Architectures.Count > 1 ? $" {nameof(ModelOptions.Arch)} {OptionNames.Kebab(options.Arch)}" : "")}{where}; drop it{fix}", named);
        }
        options.Validate(shape);
    }
}

/// <summary>The one catalogue that maps a family name (<c>--model</c>) to its factory.</summary>
public static class ModelCatalog
{
    /// <summary>
    /// The defaults of the plain autoencoder, the denoising one, the VAE and the VQ-VAE: twice the steps (batches of 64) at twice the rate, reached over
    /// the first tenth of the steps. At 10 epochs on Fashion-MNIST the MLP autoencoder ends 12 % below the textbook loop's
    /// test MSE (Adam 1e-3, batch 128), where 1e-3 at 128 ended 14 % above it, the conv VQ-VAE 13 % below, and the MLP VAE's
    /// −ELBO 0.9 nats below (its IWAE level with the loop's); the long
    /// warm-up keeps the rate from killing the ReLUs of a conv autoencoder on shapes, which a 2 % warm-up did
    /// (bench/textbook/RESULTS.md). What kills is the number of steps at a high rate, not their share: 25 warm-up steps
    /// (a tenth of 255) killed the MLP and the conv autoencoders on 6000 shapes, 50 did not hurt the MLP and 100 neither,
    /// so the warm-up lasts at least 100 steps. The MLP denoising autoencoder (mask:0.25, 10 epochs) went from a masked-pixel
    /// error of 0.0120 and a probe of 0.866 at 1e-3 and 128 to 0.0105 and 0.873–0.874 over two seeds (the textbook loop: 0.0114, 0.873).
    /// </summary>
    static readonly TrainingOptions FasterRecipe = new() { BatchSize = 64, Lr = 2e-3, Warmup = 0.1, WarmupMinSteps = 100 };

    /// <summary>Every family Latent builds, in the order help lists them: ae, linear, pca, dae, mae, vae, vqvae.</summary>
    public static readonly IReadOnlyList<ModelFamily> Families =
    [
        ModelFamily.Of<PlainOptions, PlainAutoencoder>("ae", "plain autoencoder: deterministic encoder and decoder, ℓ2 reconstruction loss",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new PlainAutoencoder(options, shape))
            with { DefaultTraining = FasterRecipe },
        ModelFamily.Of<LinearOptions, LinearAutoencoder>("linear", "linear autoencoder: x̂ = VU(x − μ) + μ by gradient descent, whose optimum is PCA's subspace (--tied: V = Uᵀ)",
            [Architecture.Mlp], (options, shape) => new LinearAutoencoder(options, shape))
            with { DefaultTraining = new() { Lr = LinearOptions.RecommendedLearningRate } },
        ModelFamily.Of<PcaOptions, PcaModel>("pca", "principal component analysis, fitted in closed form by 'latent pca' (exact, the linear optimum)",
            [Architecture.Mlp], (options, shape) => new PcaModel(options, shape)),
        ModelFamily.Of<DaeOptions, DenoisingAutoencoder>("dae", "denoising autoencoder: corrupt the input (mask, Gaussian, salt-and-pepper), reconstruct the clean one",
            [Architecture.Mlp, Architecture.Conv, Architecture.Transformer], (options, shape) => new DenoisingAutoencoder(options, shape))
            with { DefaultTraining = FasterRecipe },
        ModelFamily.Of<MaeOptions, MaskedAutoencoder>("mae", "masked autoencoder: a ViT encodes the visible quarter of the patches, a light decoder predicts the rest",
            [Architecture.Vit], (options, shape) => new MaskedAutoencoder(options, shape)),
        ModelFamily.Of<VaeOptions, VariationalAutoencoder>("vae", "variational autoencoder: Gaussian encoder, loss recon + λ·KL(q(z|x) ‖ N(0, I)), samples from N(0, I)",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new VariationalAutoencoder(options, shape))
            with { DefaultTraining = FasterRecipe },
        ModelFamily.Of<VqOptions, VqVae>("vqvae", "VQ-VAE: nearest of K codes per position, straight-through gradient, codebook and commitment losses, prior over codes",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new VqVae(options, shape))
            with { DefaultTraining = FasterRecipe },
    ];

    /// <summary>The family called <paramref name="name"/> (case and surrounding spaces ignored), as a manifest or <c>--model</c> names it.</summary>
    /// <param name="name">A family name such as <c>vae</c>.</param>
    /// <exception cref="UserInputException">No family has that name; the message lists the names there are.</exception>
    public static ModelFamily Find(string name) =>
        Families.FirstOrDefault(family => family.Name == name.Trim().ToLowerInvariant())
        ?? throw new UserInputException($"unknown model '{name}'; pass one of: {string.Join(", ", Families.Select(f => f.Name))}");

    /// <summary>The training options a family starts from (<see cref="ModelFamily.DefaultTraining"/>), e.g. <c>ModelCatalog.DefaultTraining(vae) with { Epochs = 2 }</c>.</summary>
    public static TrainingOptions DefaultTraining(ModelOptions options) => Of(options).DefaultTraining;

    /// <summary>The family a model's options belong to.</summary>
    public static ModelFamily Of(ModelOptions options) =>
        Families.First(family => family.OptionsType == options.GetType());
}
