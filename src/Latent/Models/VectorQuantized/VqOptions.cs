using System.ComponentModel;
using System.Text.Json.Serialization;
using Latent.Data;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// Options of the VQ-VAE (van den Oord et al. 2017). <see cref="ModelOptions.LatentDim"/> is the
/// dimension of the encoder output z_e at each latent position: the vector that is quantised, and
/// what the decoder reads at that position. The MLP has <see cref="Slots"/> positions; the conv
/// model one per cell of its grid (7×7 for 28×28 images with two stride-2 stages, 8×8 for 32×32).
/// </summary>
public sealed record VqOptions : ModelOptions
{
    /// <summary>
    /// How z_e becomes discrete: the nearest of K learned codes (vq, van den Oord et al. 2017, the default), finite scalar
    /// quantization (fsq, Mentzer et al. 2023), lookup-free quantization (lfq, Yu et al. 2023) or residual VQ (rvq, Zeghidour et al. 2021).
    /// It decides which of the other quantizer options apply (<see cref="Choice"/>).
    /// </summary>
    [Description("how z_e becomes discrete: vq (nearest of K learned codes), fsq (finite scalar quantization, --levels), lfq (lookup-free: the signs of log2 K channels), rvq (--stages learned codebooks on successive residuals)")]
    public QuantizerKind Quantizer { get; init; } = QuantizerKind.Vq;

    /// <summary>
    /// K, the codes in each codebook, from 2 to <see cref="MaxCodebookSize"/>; a code takes ⌈log2 K⌉ bits. 512 as the paper's smaller
    /// models. FSQ takes its levels from it when <see cref="Levels"/> is null; LFQ needs a power of two (log2 K sign channels).
    /// </summary>
    [Description("number K of codes in each codebook (bits per code: ⌈log2 K⌉); fsq: picks the FSQ paper's levels for 2^8, 2^10, 2^12, 2^14, 2^16 (and 8,8,8 for 512); lfq: a power of two")]
    public int CodebookSize { get; init; } = 512;

    /// <summary>
    /// FSQ: the number of levels of each channel (e.g. 8,5,5,5 for 1000 codes); the codebook is their product. Null takes the FSQ
    /// paper's recommendation for <see cref="CodebookSize"/>.
    /// </summary>
    [Description("levels of each channel, comma-separated, e.g. 8,5,5,5 (codebook: their product); default from --codebook-size")]
    public int[]? Levels { get; init; }

    /// <summary>
    /// RVQ: the quantizers applied to successive residuals, each with its own codebook (K^stages combinations); null means 4.
    /// </summary>
    [Description("number of quantizers on successive residuals [default: 4]")]
    public int? Stages { get; init; }

    /// <summary>RVQ: one codebook shared by every stage instead of one per stage.</summary>
    [Description("one codebook shared by all stages instead of one per stage")]
    public bool SharedCodebook { get; init; }

    /// <summary>
    /// RVQ: the fraction of training examples quantised with a random number of stages 1..N (SoundStream's quantizer dropout), so
    /// that the first k stages decode on their own; 0 (the default) always uses all stages.
    /// </summary>
    [Description("fraction of training examples quantised with a random number of stages 1..N (SoundStream's quantizer dropout), so that the first k stages decode on their own")]
    public double QuantizerDropout { get; init; }

    /// <summary>
    /// VQ: l2-normalise z_e and the codes before the nearest-code search, so that codes are matched by angle (as in ViT-VQGAN,
    /// Yu et al. 2022), which keeps more codes in use.
    /// </summary>
    [Description("cosine-similarity codes: z_e and the codes l2-normalised before the search, as in ViT-VQGAN")]
    public bool Cosine { get; init; }

    /// <summary>
    /// How the gradient passes the non-differentiable quantiser: the straight-through estimator (the paper's, the default) or the
    /// rotation trick (Fifty et al. 2024).
    /// </summary>
    [Description("how the gradient passes the quantiser: ste (straight-through) or rotation (the rotation trick, Fifty et al. 2024)")]
    public GradientEstimator Gradient { get; init; } = GradientEstimator.Ste;

    /// <summary>
    /// LFQ: weight of the mean per-example entropy of the soft code assignment, minimised so that each vector commits to a code.
    /// </summary>
    [Description("weight of the mean per-sample entropy of the soft code assignment (pushed down: confident codes)")]
    public double SampleEntropyWeight { get; init; } = 0.1;

    /// <summary>LFQ: weight of the entropy of the batch's average code assignment, maximised so that every code is used.</summary>
    [Description("weight of the entropy of the batch's average code assignment (pushed up: all codes used)")]
    public double BatchEntropyWeight { get; init; } = 0.1;

    /// <summary>
    /// LFQ: temperature τ of the soft code assignment p(c|z) ∝ exp(−‖z − c‖²/τ) that the entropy penalty is computed from.
    /// </summary>
    [Description("temperature τ of the soft code assignment p(c|z) ∝ exp(−‖z − c‖²/τ) in the entropy penalty")]
    public double EntropyTemperature { get; init; } = 0.01;

    /// <summary>
    /// Dimension of one code vector. Null (the default) splits z_e evenly across the heads, <see cref="ModelOptions.LatentDim"/> / <see cref="Heads"/>;
    /// other values project z_e into and out of the code space linearly.
    /// </summary>
    [Description("dimension of one code vector; default latent-dim / heads, other values project z_e in and out linearly")]
    public int? CodeDim { get; init; }

    /// <summary>
    /// L: each z_e is split into L parts, each quantised against its own codebook, so a position holds K^L combinations.
    /// </summary>
    [Description("L: split each z_e into this many parts, each quantised against its own codebook (K^L combinations)")]
    public int Heads { get; init; } = 1;

    /// <summary>
    /// β, the weight of the commitment loss β‖z_e − sg(z_q)‖² that keeps the encoder near its codes; 0.25 as van den Oord et al. 2017.
    /// </summary>
    [Description("β, weight of the commitment loss β‖z_e − sg(z_q)‖²")]
    public double Commitment { get; init; } = 0.25;

    /// <summary>
    /// Update the codes by exponential moving averages of the encoder outputs assigned to them (van den Oord et al. 2017, appendix;
    /// Razavi et al. 2019) instead of by the codebook loss; on by default, as VQ-VAE-2, whose authors found it trains faster.
    /// </summary>
    [Description("update codes by exponential moving averages of their assigned encoder outputs instead of the codebook loss")]
    public bool Ema { get; init; } = true;

    /// <summary>Decay γ of the EMA codebook updates, in (0, 1); 0.99 as the paper.</summary>
    [Description("decay γ of the EMA codebook updates")]
    public double EmaDecay { get; init; } = 0.99;

    /// <summary>
    /// Initialise every codebook by k-means on the first training batch, so that training starts with codes where the data are.
    /// </summary>
    [Description("initialise every codebook by k-means on the first training batch")]
    public bool KmeansInit { get; init; } = true;

    /// <summary>
    /// Re-seed a code from a random encoder output of the batch once it has gone unused for this many steps (dead-code restarts);
    /// 0 turns restarts off.
    /// </summary>
    [Description("re-seed a code from a random encoder output of the batch once it has gone unused this many steps; 0 turns restarts off")]
    public int RestartAfter { get; init; } = 20;

    /// <summary>
    /// MLP: the number of latent positions, each quantised to one code per head (the conv model's positions are its grid).
    /// </summary>
    [Description("number of latent positions (slots), each quantised to one code per head")]
    public int Slots { get; init; } = 16;

    /// <summary>
    /// Epochs of the autoregressive transformer prior over codes, fitted after the autoencoder (the paper's second stage); 0 samples
    /// from the empirical distribution of the training codes instead.
    /// </summary>
    [Description("epochs of the autoregressive transformer prior over codes, fitted after training (0: sample from the empirical code distribution)")]
    public int PriorEpochs { get; init; } = 4;

    /// <summary>Width of the prior transformer, a positive multiple of <see cref="CodeTransformer.AttentionHeads"/>.</summary>
    [Description("width of the prior transformer")]
    public int PriorWidth { get; init; } = 64;

    /// <summary>Blocks of the prior transformer, 1 to 24.</summary>
    [Description("blocks of the prior transformer")]
    public int PriorLayers { get; init; } = 2;

    /// <summary>Dimension of one code vector: <see cref="CodeDim"/>, or z_e split evenly across the heads.</summary>
    [JsonIgnore]
    public int CodeDimension => CodeDim ?? LatentDim / Heads;

    /// <summary>Bits to store one code: ⌈log2 K⌉ (for FSQ, of one code stored alone; its files store ⌈log2 K⌉ per example's codes together).</summary>
    [JsonIgnore]
    public int BitsPerCode => CodeSpace.BitsPerCode;

    /// <summary>RVQ's number of stages: <see cref="Stages"/>, default 4; 1 for the other quantizers.</summary>
    [JsonIgnore]
    public int StageCount => Quantizer == QuantizerKind.Rvq ? Stages ?? 4 : 1;

    /// <summary>FSQ's levels: <see cref="Levels"/>, or those recommended for <see cref="CodebookSize"/>; empty for the other quantizers.</summary>
    [JsonIgnore]
    public int[] FsqLevels => Quantizer == QuantizerKind.Fsq ? Levels ?? FiniteScalarQuantizer.DefaultLevels(CodebookSize) ?? [] : [];

    /// <summary>What the codes of a model with these options are (valid options only).</summary>
    [JsonIgnore]
    public CodeSpace CodeSpace => Quantizer switch
    {
        QuantizerKind.Fsq => new CodeSpace(Quantizer, Heads, 1, FsqLevels.Aggregate(1, (product, level) => product * level), FsqLevels),
        _ => new CodeSpace(Quantizer, Heads, StageCount, CodebookSize),
    };

    /// <summary>
    /// Slots are the MLP's latent positions (the conv grid follows from the image size); each quantizer takes the options
    /// its paper defines: FSQ has no codebook and no losses, LFQ no learned codebook but a commitment and an entropy penalty.
    /// </summary>
    public override bool Uses(string property) => property switch
    {
        nameof(Slots) => Arch == Architecture.Mlp,
        nameof(Levels) => Quantizer == QuantizerKind.Fsq,
        nameof(Stages) or nameof(SharedCodebook) or nameof(QuantizerDropout) => Quantizer == QuantizerKind.Rvq,
        nameof(Cosine) => Quantizer == QuantizerKind.Vq,
        nameof(Gradient) or nameof(CodeDim) or nameof(Ema) or nameof(EmaDecay) or nameof(KmeansInit) or nameof(RestartAfter) =>
            Quantizer is QuantizerKind.Vq or QuantizerKind.Rvq,
        nameof(Commitment) => Quantizer != QuantizerKind.Fsq,
        nameof(SampleEntropyWeight) or nameof(BatchEntropyWeight) or nameof(EntropyTemperature) => Quantizer == QuantizerKind.Lfq,
        _ => base.Uses(property),
    };

    /// <summary>The quantizer decides which of the quantizer options apply.</summary>
    [JsonIgnore]
    public override OptionChoice? Choice => new(nameof(Quantizer), OptionNames.Kebab(Quantizer),
        Enum.GetValues<QuantizerKind>().Select(kind => (OptionNames.Kebab(kind), (ModelOptions)(this with { Quantizer = kind }))).ToList());

    /// <summary>The VQ-VAE standardises table columns (<see cref="ModelOptions.Standardize"/>).</summary>
    protected override bool StandardizesTables => true;

    /// <summary>
    /// Throws a <see cref="UserInputException"/> naming the first option out of its range for data of this shape: the
    /// codebook, heads and code width, the quantizer's own options, the prior's size and the code sequence it must model.
    /// </summary>
    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"vqvae needs images or tables, not {shape}; pass {FamilyOption} dae for token data", FamilyOption);
        if (CodebookSize is < 2 or > MaxCodebookSize)
            throw new UserInputException($"{nameof(CodebookSize)} {CodebookSize} is out of range; pass a number of codes from 2 to {MaxCodebookSize}, e.g. 512", nameof(CodebookSize));
        if (Heads is < 1 or > 64)
            throw new UserInputException($"{nameof(Heads)} {Heads} is out of range; pass from 1 to 64 heads", nameof(Heads));
        ValidateQuantizer();
        if (Quantizer is QuantizerKind.Vq or QuantizerKind.Rvq && CodeDim is null && LatentDim % Heads != 0)
            throw new UserInputException($"{nameof(LatentDim)} {LatentDim} does not split into {Heads} heads; pass a {nameof(LatentDim)} divisible by {nameof(Heads)}, or {nameof(CodeDim)}",
                nameof(LatentDim), nameof(Heads), nameof(CodeDim));
        if (CodeDim is <= 0)
            throw new UserInputException($"{nameof(CodeDim)} {CodeDim} must be positive; pass e.g. {nameof(CodeDim)} 16, or leave it out", nameof(CodeDim));
        if (!(Commitment >= 0) || !double.IsFinite(Commitment))
            throw new UserInputException($"{nameof(Commitment)} {Commitment} must be zero or positive; pass e.g. {nameof(Commitment)} 0.25", nameof(Commitment));
        if (!(EmaDecay is > 0 and < 1))
            throw new UserInputException($"{nameof(EmaDecay)} {EmaDecay} must be in (0, 1); pass e.g. {nameof(EmaDecay)} 0.99", nameof(EmaDecay));
        if (RestartAfter < 0)
            throw new UserInputException($"{nameof(RestartAfter)} {RestartAfter} must be 0 (off) or a number of steps, e.g. 20", nameof(RestartAfter));
        if (Slots is < 1 or > 4096)
            throw new UserInputException($"{nameof(Slots)} {Slots} is out of range; pass from 1 to 4096 latent positions", nameof(Slots));
        if (PriorEpochs < 0)
            throw new UserInputException($"{nameof(PriorEpochs)} {PriorEpochs} must be 0 (empirical prior only) or positive", nameof(PriorEpochs));
        if (PriorWidth <= 0 || PriorWidth % CodeTransformer.AttentionHeads != 0)
            throw new UserInputException($"{nameof(PriorWidth)} {PriorWidth} must be a positive multiple of {CodeTransformer.AttentionHeads}; pass e.g. 64", nameof(PriorWidth));
        if (PriorLayers is < 1 or > 24)
            throw new UserInputException($"{nameof(PriorLayers)} {PriorLayers} is out of range; pass from 1 to 24 blocks", nameof(PriorLayers));
        _ = NearestCodeSearch.Selected; // a bad LATENT_NEAREST_CODE_KERNEL is reported before any work starts
        long sequence = (long)Positions(shape) * CodeSpace.CodesPerPosition;
        if (sequence > MaxSequence)
            throw new UserInputException(
                $"{Positions(shape)} positions × {CodeSpace.CodesPerPosition} codes = {sequence} codes per example, more than the prior handles ({MaxSequence}); pass fewer {nameof(Heads)}, {nameof(Stages)}, {nameof(Slots)} or more {nameof(Channels)} stages",
                nameof(Heads), nameof(Stages), nameof(Slots), nameof(Channels));
    }

    /// <summary>The quantizer's own ranges (which options it takes at all is <see cref="Uses"/>).</summary>
    void ValidateQuantizer()
    {
        var defaults = new VqOptions();
        switch (Quantizer)
        {
            case QuantizerKind.Fsq when Levels is null && FiniteScalarQuantizer.DefaultLevels(CodebookSize) is null:
                throw new UserInputException(
                    $"{nameof(Quantizer)} fsq has no recommended levels for {nameof(CodebookSize)} {CodebookSize}; pass {nameof(Levels)} (e.g. 8,5,5,5 for 1000 codes) or a {nameof(CodebookSize)} of 256, 512, 1024, 4096, 16384 or 65536",
                    nameof(Quantizer), nameof(CodebookSize), nameof(Levels));
            case QuantizerKind.Fsq when Levels is not null:
                if (Levels.Length is < 1 or > 16 || Levels.Any(level => level is < 2 or > 256))
                    throw new UserInputException($"{nameof(Levels)} {string.Join(",", Levels)} needs 1 to 16 channels of 2 to 256 levels each; pass e.g. {nameof(Levels)} 8,5,5,5", nameof(Levels));
                long product = Levels.Aggregate(1L, (p, level) => p * level);
                if (product > MaxCodebookSize)
                    throw new UserInputException($"{nameof(Levels)} {string.Join(",", Levels)} make {product} codes, more than {MaxCodebookSize}; pass fewer or smaller levels, e.g. 8,8,8,5,5,5", nameof(Levels));
                if (CodebookSize != defaults.CodebookSize && CodebookSize != product)
                    throw new UserInputException($"{nameof(CodebookSize)} {CodebookSize} disagrees with {nameof(Levels)} {string.Join(",", Levels)} ({product} codes); leave {nameof(CodebookSize)} out",
                        nameof(CodebookSize), nameof(Levels));
                break;
            case QuantizerKind.Lfq when (CodebookSize & (CodebookSize - 1)) != 0:
                throw new UserInputException($"{nameof(Quantizer)} lfq needs a power of two for {nameof(CodebookSize)} (2^d codes of d sign bits), not {CodebookSize}; pass e.g. {nameof(CodebookSize)} 1024",
                    nameof(Quantizer), nameof(CodebookSize));
            case QuantizerKind.Lfq when !(EntropyTemperature > 0) || SampleEntropyWeight < 0 || BatchEntropyWeight < 0:
                throw new UserInputException($"{nameof(EntropyTemperature)} must be positive and {nameof(SampleEntropyWeight)}, {nameof(BatchEntropyWeight)} zero or positive; pass e.g. 0.01, 0.1, 0.1",
                    nameof(EntropyTemperature), nameof(SampleEntropyWeight), nameof(BatchEntropyWeight));
            case QuantizerKind.Rvq when StageCount is < 1 or > 16:
                throw new UserInputException($"{nameof(Stages)} {StageCount} is out of range; pass from 1 to 16 stages, e.g. 4", nameof(Stages));
            case QuantizerKind.Rvq when !(QuantizerDropout is >= 0 and <= 1):
                throw new UserInputException($"{nameof(QuantizerDropout)} {QuantizerDropout} is not a fraction; pass a number from 0 (off) to 1 (every example)", nameof(QuantizerDropout));
        }
    }

    /// <summary>Largest supported K (codes are packed into at most 16 bits each).</summary>
    public const int MaxCodebookSize = 1 << 16;

    /// <summary>Longest code sequence (positions × heads) the prior models.</summary>
    public const int MaxSequence = 4096;

    /// <summary>The latent grid for data of this shape: [h, w] for conv (of the padded image, see <see cref="Nn.ConvPadding"/>), [slots] for mlp.</summary>
    public int[] Grid(DataShape shape)
    {
        if (Arch != Architecture.Conv) return [Slots];
        var padding = new Nn.ConvPadding(shape.Height, shape.Width, Channels.Length);
        return [padding.GridHeight, padding.GridWidth];
    }

    /// <summary>Latent positions per example: h·w or slots.</summary>
    public int Positions(DataShape shape) => Grid(shape).Aggregate(1, (a, b) => a * b);

    /// <summary>How codebooks learn, for <see cref="Codebook"/>.</summary>
    [JsonIgnore]
    internal CodebookTraining CodebookTraining => new(Ema, EmaDecay, KmeansInit, RestartAfter, Cosine);
}
