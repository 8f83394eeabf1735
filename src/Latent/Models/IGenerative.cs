using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// A model that generates new examples by decoding draws from a prior over its latent space
/// (N(0, I) for a VAE, a fitted prior over codes for a VQ-VAE).
/// </summary>
public interface IGenerative
{
    /// <summary>Whether <see cref="Sample"/> can run now (a VQ-VAE whose prior has not been fitted yet cannot).</summary>
    bool CanSample => true;

    /// <summary><paramref name="count"/> new examples [count, ...shape] in data units, drawn with torch's global generator.</summary>
    Tensor Sample(int count);
}
