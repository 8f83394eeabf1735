using Latent.Data;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>Builds the encoder and decoder that <see cref="ModelOptions.Arch"/> names, for any family.</summary>
public static class Networks
{
    /// <summary>x [B, ...shape] → [B, output].</summary>
    public static nn.Module<Tensor, Tensor> Encoder(ModelOptions options, DataShape shape, int output) => options.Arch switch
    {
        Architecture.Mlp => new MlpEncoder(shape.Size, options.Hidden, output),
        Architecture.Conv => new ConvEncoder(shape, options.Channels, output),
        _ => throw new InvalidOperationException($"{options.Arch} has no shared encoder; the family validates its architectures"),
    };

    /// <summary>z [B, input] → [B, ...shape], before any output activation.</summary>
    public static nn.Module<Tensor, Tensor> Decoder(ModelOptions options, DataShape shape, int input) => options.Arch switch
    {
        Architecture.Mlp => new MlpDecoder(input, options.Hidden, shape.Dimensions),
        Architecture.Conv => new ConvDecoder(input, options.Channels, shape),
        _ => throw new InvalidOperationException($"{options.Arch} has no shared decoder; the family validates its architectures"),
    };
}
