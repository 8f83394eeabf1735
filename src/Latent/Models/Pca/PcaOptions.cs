using System.ComponentModel;
using Latent.Data;

namespace Latent.Models.Pca;

/// <summary>
/// Options of closed-form PCA. The number of components K is <see cref="ModelOptions.LatentDim"/>
/// (<c>--components</c> on <c>latent pca</c>); the network options (<c>Hidden</c>, <c>Channels</c>)
/// do not apply.
/// </summary>
public sealed record PcaOptions : ModelOptions
{
    [Description("scale each component to unit variance in the latent space (z_k / √λ_k); decoding undoes it")]
    public bool Whiten { get; init; }

    /// <summary>PCA works on the flattened example: no network, no architecture.</summary>
    public override bool Uses(string property) => property is not (nameof(Hidden) or nameof(Channels) or nameof(Arch));

    public override void Validate(DataShape shape)
    {
        if (LatentDim <= 0)
            throw new UserInputException($"--components {LatentDim} must be positive; pass the number of principal components, e.g. --components 32");
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"pca needs real-valued features but the data are {shape}; pass images or a csv:FILE table");
        if (LatentDim > shape.Size)
            throw new UserInputException(
                $"--components {LatentDim} is more than the {shape.Size} features of {shape}; pass --components {shape.Size} or fewer");
    }
}
