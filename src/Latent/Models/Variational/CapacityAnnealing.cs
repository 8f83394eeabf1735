// Capacity annealing (Burgess et al. 2018, "Understanding disentangling in β-VAE", §5, eq. 8):
//   loss = recon + γ·|KL(q(z|x) ‖ p(z)) − C|,
// with the target C rising linearly from 0 to C_max during training, so the code's information grows
// gradually and the factors are encoded one after another instead of all at once.

namespace Latent.Models.Variational;

/// <summary>The capacity schedule C(t) of <see cref="Regulariser.Capacity"/>.</summary>
public static class CapacityAnnealing
{
    /// <summary>
    /// C at a point of training: C_max·min(1, epochs done / CapacityEpochs); C_max itself for the final
    /// objective (validation, evaluation), and from the start when CapacityEpochs is 0.
    /// </summary>
    public static double Target(VaeOptions options, LossContext context) =>
        options.CapacityEpochs <= 0 || context.Position is not { } position
            ? options.CapacityMax
            : options.CapacityMax * Math.Min(1, position.EpochProgress / options.CapacityEpochs);
}
