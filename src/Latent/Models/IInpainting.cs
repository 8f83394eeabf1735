using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>A filled-in batch and what the model was not shown.</summary>
/// <param name="Filled">[B, ...shape] in data units: the visible elements as they were, the hidden ones predicted.</param>
/// <param name="Hidden">bool [B, ...shape]: the elements the model did not see (the missing ones, widened to whole patches for a MAE).</param>
public sealed record Inpainted(Tensor Filled, Tensor Hidden);

/// <summary>A model that fills in missing parts of an example: denoising and masked autoencoders.</summary>
public interface IInpainting
{
    /// <summary>
    /// The side of the square unit that a random mask hides together (1 = single pixels or tokens;
    /// the patch size for a MAE, whose encoder only ever hides whole patches).
    /// </summary>
    int MaskUnit { get; }

    /// <summary>The fraction of units hidden in training: what a figure of the model at work hides by default.</summary>
    double TrainingMaskFraction { get; }

    /// <summary>Whether the model learned to fill in at all (a DAE trained on Gaussian noise did not).</summary>
    bool CanInpaint { get; }

    /// <summary>Fills in <paramref name="x"/> [B, ...shape] where <paramref name="missing"/> (bool, same shape) is true.</summary>
    Inpainted Inpaint(Tensor x, Tensor missing);
}
