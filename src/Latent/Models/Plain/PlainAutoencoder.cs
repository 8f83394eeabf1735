using Latent.Data;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Models.Plain;

/// <summary>
/// The plain autoencoder: a deterministic encoder φ to a D-dimensional latent, a decoder ψ back, and
/// the ℓ2 reconstruction loss E‖ψ(φ(x)) − x‖², here averaged per element. For data in [0, 1] the
/// decoder ends in a sigmoid so that reconstructions stay in range.
/// </summary>
public sealed class PlainAutoencoder : Autoencoder
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;

    public PlainAutoencoder(PlainOptions options, DataShape shape) : base("ae", options, shape)
    {
        encoder = Networks.Encoder(options, shape, options.LatentDim);
        decoder = Networks.Decoder(options, shape, options.LatentDim);
        RegisterComponents();
    }

    public override Tensor Encode(Tensor x) => encoder.forward(x);

    public override Tensor Decode(Tensor z)
    {
        var output = decoder.forward(z);
        return Shape.IsUnitRange ? output.sigmoid() : output;
    }

    public override LossTerms Loss(Tensor x, LossContext context)
    {
        var reconstruction = nn.functional.mse_loss(Reconstruct(x), x);
        return new LossTerms(reconstruction, (LossTerms.Reconstruction, reconstruction));
    }
}
