// The VQ-VAE: van den Oord, Vinyals & Kavukcuoglu 2017, "Neural Discrete Representation Learning".
//   z_e = φ(x) at every latent position; z_q = the nearest code of each head (VectorQuantizer);
//   x̂ = ψ(z_e + sg(z_q − z_e));
//   L = ‖x − x̂‖² + ‖z_q − sg(z_e)‖² + β‖z_e − sg(z_q)‖²   (eq. 3; the middle term is replaced by EMA
//   updates of the codes when --ema is on, Razavi et al. 2019), every term a mean per element.
// The quantizer is a seam (IQuantizer, --quantizer): the learned codebooks above, FSQ, LFQ or residual VQ; the
// loss is the reconstruction plus whatever terms the quantizer names.
// After training, a prior over codes (CodePrior) is fitted on the training split's codes, for sampling.

using Latent.Data;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// A VQ-VAE with an MLP (a vector of <see cref="VqOptions.Slots"/> latent positions) or conv
/// encoder (a grid of positions). <see cref="Encode"/> returns the quantised continuous
/// representation z_q, flattened position-major ([B, P·latentDim], channels last), for probes,
/// CSV and interpolation; the discrete codes come from <see cref="Codes"/> and go back through
/// <see cref="DecodeCodes(Tensor)"/>.
/// </summary>
public sealed class VqVae : Autoencoder, IGenerative, IDiscreteCodes, ISecondStage, IFitsTrainingSplit
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module quantizer; // an IQuantizer (Quantizers.Create); its state-dict keys are quantizer.*
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly CodePrior prior;
    private readonly ColumnStandardizer? standardizer;

    private readonly VqOptions _options;
    private readonly int[] _grid;
    private readonly ConvPadding? _padding;

    /// <summary>Builds the encoder to z_e at every latent position (the conv grid, or <see cref="VqOptions.Slots"/> for the MLP), the quantizer
    /// <see cref="VqOptions.Quantizer"/> chooses, the decoder, the prior over codes, and a column standardiser for tables.</summary>
    /// <param name="options">The VQ-VAE's options: quantizer, codebooks, heads, prior.</param>
    /// <param name="shape">Images or tables (tokens are refused by <see cref="VqOptions.Validate"/>).</param>
    public VqVae(VqOptions options, DataShape shape) : base("vqvae", options, shape)
    {
        _options = options;
        _grid = options.Grid(shape);
        int positions = options.Positions(shape);
        if (options.Arch == Architecture.Conv)
        {
            encoder = VqNetworks.ConvEncoder(shape, options.Channels, options.LatentDim);
            decoder = VqNetworks.ConvDecoder(options.LatentDim, options.Channels, shape);
            _padding = new ConvPadding(shape.Height, shape.Width, options.Channels.Length);
        }
        else
        {
            encoder = VqNetworks.VariancePreserving(new MlpEncoder(shape.Size, options.Hidden, positions * options.LatentDim));
            decoder = VqNetworks.VariancePreserving(new MlpDecoder(positions * options.LatentDim, options.Hidden, shape.Dimensions));
        }
        var created = Quantizers.Create(options);
        quantizer = Quantizers.AsModule(created);
        prior = new CodePrior(positions, created.Space.CodesPerPosition, created.Space.CodebookSize, options.PriorWidth, options.PriorLayers,
                              autoregressive: options.PriorEpochs > 0);
        // Table columns in units of their training spread (unless --standardize no), as the plain autoencoder's.
        standardizer = TableStandardization.For(options, shape);
        RegisterComponents();
    }

    /// <summary>Fixes each table column's mean and spread from the training split; nothing for images.</summary>
    public void FitTrainingSplit(Dataset train) => standardizer?.Fit(train.Features);

    /// <summary>The codebook term of the objective (without EMA).</summary>
    public static readonly MetricKey CodebookTerm = QuantizerTerms.Codebook;

    /// <summary>The commitment term of the objective.</summary>
    public static readonly MetricKey CommitmentTerm = QuantizerTerms.Commitment;

    /// <summary>The latent grid: [h, w] for conv, [slots] for mlp.</summary>
    public IReadOnlyList<int> Grid => _grid;

    /// <summary>P, latent positions per example.</summary>
    public int Positions => prior.Positions;

    /// <summary>L, codes per position: the heads, times the stages of a residual quantizer.</summary>
    public int Heads => Space.CodesPerPosition;

    /// <summary>K, the values of one code (Π levels for FSQ, 2^d for LFQ).</summary>
    public int CodebookSize => Space.CodebookSize;

    /// <summary>What the codes are: the quantizer's code space.</summary>
    public CodeSpace Space => Quantizer.Space;

    /// <summary>Bits that store one example's codes: P · L · ⌈log2 K⌉, or ⌈P · L · log2 K⌉ for FSQ's mixed-radix codes.</summary>
    public long BitsPerExample => Space.BitsPerExample(Positions);

    /// <summary>The quantiser, as the seam it is (not a second field: TorchSharp registers every module a field holds, under the field's name).</summary>
    public IQuantizer Quantizer => (IQuantizer)quantizer;

    /// <summary>The prior over codes.</summary>
    public CodePrior Prior => prior;

    /// <summary>P·D: the continuous z_e of every position, flattened (what <see cref="Encode"/> returns).</summary>
    public override int RepresentationSize => Positions * Options.LatentDim;

    /// <summary>x → z_q [B, P·latentDim]: the quantised representation, flattened position-major, channels last.</summary>
    public override Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        var ze = Continuous(x);
        var zq = Quantizer.Quantize(ze, learn: false).Output;
        return zq.reshape(x.shape[0], RepresentationSize).MoveToOuterDisposeScope();
    }

    /// <summary>z [B, P·latentDim] (as <see cref="Encode"/> returns it) → x̂; z is decoded as it is, not re-quantised.</summary>
    public override Tensor Decode(Tensor z) => DecodePositions(z.reshape(z.shape[0], Positions, Options.LatentDim));

    /// <summary>x → the code of every position and head [B, P, L] (int64, in [0, K)).</summary>
    public Tensor Codes(Tensor x)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ze = Continuous(x);
        return Quantizer.Codes(ze).MoveToOuterDisposeScope();
    }

    /// <summary>Codes [B, P, L] → x̂ [B, ...shape].</summary>
    public Tensor DecodeCodes(Tensor codes)
    {
        using var scope = NewDisposeScope();
        return DecodePositions(Quantizer.Embed(codes)).MoveToOuterDisposeScope();
    }

    /// <summary>Codes [B, P, L] → x̂ [B, ...shape] from the first <paramref name="stages"/> stages of a residual quantizer.</summary>
    public Tensor DecodeCodes(Tensor codes, int stages)
    {
        using var scope = NewDisposeScope();
        return DecodePositions(Quantizer.EmbedPrefix(codes, stages)).MoveToOuterDisposeScope();
    }

    /// <summary>log p(codes) under the fitted prior over codes (nats per example), or null before it is fitted.</summary>
    public Tensor? CodeLogLikelihood(Tensor codes) => prior.IsFitted ? prior.LogLikelihood(codes) : null;

    /// <summary>
    /// The reconstruction error (mean per element; in units of each column's spread for tables) plus the quantizer's own terms
    /// (codebook and commitment losses, entropy penalties), each named; codebooks learn (k-means, EMA, restarts) on training steps only.
    /// </summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        // Codebooks learn (k-means init, EMA, usage, restarts) on training steps only, never in validation.
        bool learn = training && context.IsTraining;
        var ze = Continuous(x);                                                    // [B, P, C]
        var quantized = Quantizer.Quantize(ze, learn);
        var reconstruction = DecodePositions(quantized.Output);
        var recon = standardizer is null
            ? nn.functional.mse_loss(reconstruction, x)
            : nn.functional.mse_loss(standardizer.Standardize(reconstruction), standardizer.Standardize(x)); // in units of each column's spread
        // recon + each named term, added in the quantizer's order
        var total = recon;
        var terms = new List<(MetricKey, Tensor)> { (LossTerms.Reconstruction, recon) };
        foreach (var (term, value) in quantized.Terms)
        {
            total = total + value;
            terms.Add((term, value));
        }
        return new LossTerms(total, terms.ToArray());
    }

    /// <summary>Whether the prior over codes has been fitted (training fits it once the VQ-VAE itself is trained).</summary>
    public bool CanSample => prior.IsFitted;

    /// <summary>New examples: code grids from the prior (the transformer once fitted), decoded.</summary>
    public Tensor Sample(int count)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return DecodeCodes(prior.Sample(count)).MoveToOuterDisposeScope();
    }

    /// <summary>"prior": the second stage is the prior over codes.</summary>
    public string SecondStageName => "prior";

    /// <summary>
    /// The second stage of a VQ-VAE: counts the training split's codes (the empirical prior) and, with
    /// <see cref="VqOptions.PriorEpochs"/> above 0, returns the transformer to train on the code sequences [N, P·L] of the training and
    /// validation splits.
    /// </summary>
    public SecondStage? PrepareSecondStage(DataSplits data)
    {
        eval();
        using var train = DiscreteCodes.Of(this, data.Train);
        prior.Count(train);
        if (prior.Transformer is null || _options.PriorEpochs == 0) return null;
        var validation = DiscreteCodes.Of(this, data.Validation);
        var shape = DataShape.Tokens(Positions * Heads, CodebookSize);
        // [N, P, L] -> [N, P·L]: position-major, the heads of a position one after another
        Dataset Sequences(Tensor codes) => new(codes.reshape(codes.shape[0], Positions * Heads).clone(), shape);
        var splits = new DataSplits(Sequences(train), Sequences(validation), new Dataset(zeros(0, Positions * Heads, ScalarType.Int64), shape));
        validation.Dispose();
        return new SecondStage(SecondStageName, prior.Transformer, splits, CodePrior.Recipe(_options.PriorEpochs));
    }

    /// <inheritdoc/>
    public void SecondStageTrained(int epochs) => prior.MarkTrained(epochs);

    /// <summary>x → z_e [B, P, latentDim].</summary>
    Tensor Continuous(Tensor x)
    {
        var input = standardizer?.Standardize(x) ?? x;      // tables
        var features = encoder.forward(_padding?.Pad(input) ?? input); // images of any size
        return _options.Arch == Architecture.Conv
            ? features.permute(0, 2, 3, 1).reshape(x.shape[0], Positions, Options.LatentDim) // [B, C, h, w] -> [B, h, w, C] -> [B, h·w, C]
            : features.reshape(x.shape[0], Positions, Options.LatentDim);                    // [B, P·C] -> [B, P, C]
    }

    /// <summary>z_q [B, P, latentDim] → x̂ in data units.</summary>
    Tensor DecodePositions(Tensor zq)
    {
        long batch = zq.shape[0];
        var input = _options.Arch == Architecture.Conv
            ? zq.reshape(batch, _grid[0], _grid[1], Options.LatentDim).permute(0, 3, 1, 2) // [B, h·w, C] -> [B, C, h, w]
            : zq.reshape(batch, Positions * Options.LatentDim);                             // [B, P, C] -> [B, P·C]
        var output = decoder.forward(input);
        if (_padding is not null) output = _padding.Crop(output);
        if (standardizer is not null) return standardizer.Restore(output);
        return Shape.IsUnitRange ? output.sigmoid() : output;
    }
}
