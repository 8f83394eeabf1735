using Latent.Data;
using Latent.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// The conv encoder and decoder of the VQ-VAE keep the spatial grid (van den Oord et al. 2017, §4.1:
/// a 28×28 image becomes a 7×7 grid of codes), unlike the shared ConvEncoder, which flattens to one vector.
/// </summary>
public static class VqNetworks
{
    /// <summary>
    /// [B, C, H, W] → z_e [B, latentDim, H/2^s, W/2^s]: the stride-2 stack, a 3×3 conv that mixes
    /// neighbouring cells, then a 1×1 conv to the latent channels.
    /// </summary>
    public static Sequential ConvEncoder(DataShape shape, IReadOnlyList<int> channels, int latentDim) =>
        VariancePreserving(nn.Sequential(
            ConvStack.Down(shape.Channels, channels),
            nn.Conv2d(channels[^1], channels[^1], kernel_size: 3, padding: 1),
            nn.ReLU(),
            nn.Conv2d(channels[^1], latentDim, kernel_size: 1)));

    /// <summary>z_q [B, latentDim, h, w] → [B, C, H, W] before the output activation: a 3×3 conv, then the mirrored stack.</summary>
    public static Sequential ConvDecoder(int latentDim, IReadOnlyList<int> channels, DataShape shape) =>
        VariancePreserving(nn.Sequential(
            nn.Conv2d(latentDim, channels[^1], kernel_size: 3, padding: 1),
            nn.ReLU(),
            ConvStack.Up(channels, shape.Channels)));

    /// <summary>
    /// He initialisation (He et al. 2015): weights N(0, 2/fan_in), biases zero, so that the signal
    /// keeps its scale through the ReLU layers. With PyTorch's default initialisation the encoder
    /// outputs of different inputs differ by ~1% of their size at the start (bias-dominated), the
    /// k-means codes then sit in a tiny cloud, the decoder cannot tell them apart and learns the
    /// mean image; on the mostly black shapes the model stayed there.
    /// </summary>
    public static T VariancePreserving<T>(T network) where T : nn.Module => HeInitialisation.Apply(network);
}
