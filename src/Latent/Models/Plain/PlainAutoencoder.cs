using Latent.Data;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Models.Plain;

/// <summary>
/// The plain autoencoder: a deterministic encoder φ to a D-dimensional latent, a decoder ψ back, and
/// the ℓ2 reconstruction loss E‖ψ(φ(x)) − x‖², here averaged per element. For data in [0, 1] the
/// decoder ends in a sigmoid so that reconstructions stay in range. Table columns are standardised
/// (<see cref="ColumnStandardizer"/>, unless <see cref="ModelOptions.Standardize"/> is <c>No</c>): the network reads and writes
/// standardised values and the loss is the squared error in units of each column's spread, so that no
/// column drowns the rest; <see cref="Decode"/> returns the data's own units.
/// </summary>
public sealed class PlainAutoencoder : Autoencoder, IFitsTrainingSplit
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly ColumnStandardizer? standardizer;

    /// <summary>Builds the MLP or conv encoder and decoder (<see cref="Networks"/>), He-initialised on request, and a column standardiser for tables.</summary>
    /// <param name="options">Architecture, D, widths and initialisation.</param>
    /// <param name="shape">The shape of one example.</param>
    public PlainAutoencoder(PlainOptions options, DataShape shape) : base("ae", options, shape)
    {
        encoder = Networks.Encoder(options, EncoderShape, options.LatentDim);
        decoder = Networks.Decoder(options, shape, DecoderInputs(options.LatentDim));
        if (options.Init == Initialisation.He)
        {
            HeInitialisation.Apply(encoder);
            HeInitialisation.Apply(decoder);
        }
        standardizer = TableStandardization.For(options, shape);
        RegisterComponents();
    }

    /// <summary>Fixes each table column's mean and spread from the training split before training; nothing for other data.</summary>
    public void FitTrainingSplit(Dataset train) => standardizer?.Fit(train.Features);

    /// <summary>x [B, ...shape] → z [B, D] (table columns standardised first; a conditioned model joins the label).</summary>
    public override Tensor Encode(Tensor x) => encoder.forward(EncoderInput(standardizer?.Standardize(x) ?? x));

    /// <summary>
    /// z [B, D] → x̂ [B, ...shape] in data units: through a sigmoid for data in [0, 1], back to each column's units for tables.
    /// </summary>
    public override Tensor Decode(Tensor z)
    {
        var output = decoder.forward(DecoderInput(z));
        if (standardizer is not null) return standardizer.Restore(output);
        return Shape.IsUnitRange ? output.sigmoid() : output;
    }

    /// <summary>Mean squared error per element: of pixels, or of standardised table values.</summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        var reconstruction = standardizer is null
            ? nn.functional.mse_loss(Reconstruct(x), x)
            : nn.functional.mse_loss(decoder.forward(DecoderInput(Encode(x))), standardizer.Standardize(x));
        return new LossTerms(reconstruction, (LossTerms.Reconstruction, reconstruction));
    }
}
