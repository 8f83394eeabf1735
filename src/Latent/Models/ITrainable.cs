using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// Something the trainer can minimise: a module whose loss on a batch comes back as named terms.
/// Every autoencoder is one; so is a second stage such as a VQ-VAE's prior over its codes.
/// </summary>
public interface ITrainable
{
    /// <summary>The objective on one batch [B, ...], broken into named terms; the trainer minimises <see cref="LossTerms.Total"/>.</summary>
    LossTerms Loss(Tensor x, LossContext context);
}
