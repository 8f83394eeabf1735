using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>A batch corrupted as in training, restored by the model, and where it was corrupted.</summary>
/// <param name="Restored">[B, ...shape] in data units: pixels in [0, 1], table values in their own units, token ids.</param>
/// <param name="Positions">bool [B, ...shape]: the elements that were corrupted (hidden, masked or noised).</param>
public sealed record Restoration(Tensor Restored, Tensor Positions);

/// <summary>
/// A model trained to undo a corruption of its input (denoising and masked autoencoders): how well it
/// restores what it was trained to restore is measured by corrupting test examples the same way.
/// </summary>
public interface ICorrupting
{
    /// <summary>
    /// Corrupts <paramref name="x"/> [B, ...shape] as in training, every draw from <paramref name="generator"/>,
    /// and restores it.
    /// </summary>
    Restoration RestoreCorrupted(Tensor x, Generator generator);
}
