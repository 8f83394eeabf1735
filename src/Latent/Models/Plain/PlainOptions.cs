using System.ComponentModel;
using Latent.Nn;

namespace Latent.Models.Plain;

/// <summary>Options of the plain autoencoder: the shared ones (architecture, D, widths) and the initialisation.</summary>
public sealed record PlainOptions : ModelOptions
{
    /// <summary>
    /// How the weights start: <see cref="Initialisation.Torch"/> (PyTorch's defaults, the default, so that runs match a PyTorch
    /// reference) or <see cref="Initialisation.He"/> (N(0, 2/fan_in), zero biases; He et al. 2015, for deep ReLU stacks).
    /// </summary>
    [Description("initial weights: torch (PyTorch's defaults) or he (N(0, 2/fan_in), zero biases)")]
    public Initialisation Init { get; init; } = Initialisation.Torch;

    /// <summary>The plain autoencoder standardises table columns (<see cref="ModelOptions.Standardize"/>).</summary>
    protected override bool StandardizesTables => true;
    /// <summary>A label-conditioned decoder (and encoder): the CVAE of Sohn et al. 2015.</summary>
    protected override bool ConditionsOnLabels => true;
}
