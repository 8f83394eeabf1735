using System.ComponentModel;

namespace Latent.Models.Sampling;

/// <summary>Where the latent codes of <c>latent sample</c> come from.</summary>
public enum SamplerKind
{
    /// <summary>The model's own prior (N(0, I) for a VAE); only for models that have one.</summary>
    Prior,
    /// <summary>One full-covariance Gaussian fitted to the training codes.</summary>
    Gaussian,
    /// <summary>A Gaussian mixture fitted to the training codes by EM (<c>--components</c>).</summary>
    Gmm,
}

/// <summary>Options of <c>latent sample</c> beyond the run and the output file.</summary>
public sealed record SamplerOptions
{
    [Description("where codes come from: prior (the model's own, e.g. N(0,I) for a vae), gaussian or gmm (fitted to the training codes) [default: prior when the model has one]")]
    public SamplerKind? Sampler { get; init; }

    [Description("components of the --sampler gmm mixture (gaussian is one component)")]
    public int Components { get; init; } = 10;

    public void Validate()
    {
        if (Components is <= 0 or > 1000)
            throw new UserInputException($"{nameof(Components)} {Components} must be from 1 to 1000, e.g. 10", nameof(Components));
    }
}
