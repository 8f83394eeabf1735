using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>How the weights of an MLP or conv network start.</summary>
public enum Initialisation
{
    /// <summary>PyTorch's (and TorchSharp's) defaults: Kaiming-uniform with a = √5 for weights, U(±1/√fan_in) for biases.</summary>
    Torch,
    /// <summary>He et al. 2015: weights N(0, 2/fan_in), biases zero, so that the signal keeps its scale through ReLU layers.</summary>
    He,
}

/// <summary>He initialisation (He et al. 2015, "Delving deep into rectifiers", §2.2) of every linear and conv layer of a network.</summary>
public static class HeInitialisation
{
    /// <summary>Re-draws every linear, conv and transposed-conv weight from N(0, 2/fan_in) and zeroes the biases; returns the network.</summary>
    public static T Apply<T>(T network) where T : nn.Module
    {
        using var noGrad = no_grad();
        foreach (var module in network.modules())
        {
            var (weight, bias) = module switch
            {
                Conv2d conv => (conv.weight, conv.bias),
                ConvTranspose2d conv => (conv.weight, conv.bias),
                Linear linear => (linear.weight, linear.bias),
                _ => (null, null),
            };
            if (weight is null) continue;
            nn.init.kaiming_normal_(weight, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.ReLU);
            if (bias is not null) nn.init.zeros_(bias);
        }
        return network;
    }
}
