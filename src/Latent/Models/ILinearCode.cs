using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// A model whose decoder is affine, x̂ = V z + μ (the linear autoencoder, PCA): what the comparisons
/// with the principal subspace (Eckart–Young, principal angles) need.
/// </summary>
public interface ILinearCode
{
    /// <summary>V [F, K]: the decoder's columns, a basis of the subspace the model reconstructs in.</summary>
    Tensor DecoderColumns { get; }

    /// <summary>μ [F]: the offset the codes are measured from.</summary>
    Tensor Mean { get; }
}
