using System.ComponentModel;
using Latent.Data;

namespace Latent.Models.Linear;

/// <summary>
/// Options of the linear autoencoder: the latent size D and whether the decoder is the encoder's
/// transpose. The network options (<c>Hidden</c>, <c>Channels</c>) do not apply.
/// </summary>
public sealed record LinearOptions : ModelOptions
{
    /// <summary>The learning rate the README recommends for this family (and the demo uses).</summary>
    public const double RecommendedLearningRate = 1e-2;

    /// <summary>
    /// Tie the decoder to the encoder's transpose, V = Uᵀ: half the weights, and at the optimum U's rows are an orthonormal basis of
    /// the principal subspace. Off by default: untied weights reach the same subspace and are the usual linear autoencoder.
    /// </summary>
    [Description("tie the decoder to the encoder's transpose (V = Uᵀ), halving the weights")]
    public bool Tied { get; init; }

    /// <summary>A linear map has no hidden layers or channels.</summary>
    public override bool Uses(string property) => property is not (nameof(Hidden) or nameof(Channels)) && base.Uses(property);

    /// <summary>
    /// Throws a <see cref="UserInputException"/> unless the data are real-valued and D ≤ F (a rank-D map needs D features).
    /// </summary>
    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"the linear autoencoder needs real-valued features but the data are {shape}; pass images or a csv:FILE table");
        if (LatentDim > shape.Size)
            throw new UserInputException(
                $"{nameof(LatentDim)} {LatentDim} is more than the {shape.Size} features of {shape}; a linear autoencoder needs D ≤ {shape.Size}, so pass a smaller {nameof(LatentDim)}", nameof(LatentDim));
    }
}
