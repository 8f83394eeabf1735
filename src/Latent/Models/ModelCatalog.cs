using Latent.Data;
using Latent.Models.Plain;
using Latent.Models.Variational;

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
        ModelFamily.Of<VaeOptions>("vae", "variational autoencoder: Gaussian encoder, loss recon + λ·KL(q(z|x) ‖ N(0, I)), samples from N(0, I)",
            [Architecture.Mlp, Architecture.Conv], (options, shape) => new VariationalAutoencoder(options, shape)),
    ];

    public static ModelFamily Find(string name) =>
        Families.FirstOrDefault(family => family.Name == name.Trim().ToLowerInvariant())
        ?? throw new UserInputException($"unknown model '{name}'; pass --model with one of: {string.Join(", ", Families.Select(f => f.Name))}");

    /// <summary>The family a model belongs to.</summary>
    public static ModelFamily Of(ModelOptions options) =>
        Families.First(family => family.OptionsType == options.GetType());
}
