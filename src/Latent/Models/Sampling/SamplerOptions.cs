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
    /// <summary>
    /// Where the codes come from: the model's own prior, or a Gaussian or Gaussian mixture fitted to the training codes. Null (the
    /// default) takes the prior; a model without one (not <see cref="IGenerative"/>) then needs Gaussian or Gmm.
    /// </summary>
    [Description("where codes come from: prior (the model's own, e.g. N(0,I) for a vae), gaussian or gmm (fitted to the training codes) [default: prior when the model has one]")]
    public SamplerKind? Sampler { get; init; }

    /// <summary>
    /// K, the components of the <see cref="SamplerKind.Gmm"/> mixture, from 1 to 1000 (a Gaussian is one); 10 as the number of classes of
    /// the usual image sets, a common choice for ex-post density estimation (Ghosh et al. 2020).
    /// </summary>
    [Description("components of the --sampler gmm mixture (gaussian is one component)")]
    public int Components { get; init; } = 10;

    /// <summary>Throws a <see cref="UserInputException"/> when <see cref="Components"/> is outside 1 to 1000.</summary>
    public void Validate()
    {
        if (Components is <= 0 or > 1000)
            throw new UserInputException($"{nameof(Components)} {Components} must be from 1 to 1000, e.g. 10", nameof(Components));
    }
}
