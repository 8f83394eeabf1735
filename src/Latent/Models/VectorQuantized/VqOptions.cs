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
    [Description("number K of codes in each codebook (bits per code: ⌈log2 K⌉)")]
    public int CodebookSize { get; init; } = 512;

    [Description("dimension of one code vector; default latent-dim / heads, other values project z_e in and out linearly")]
    public int? CodeDim { get; init; }

    [Description("L: split each z_e into this many parts, each quantised against its own codebook (K^L combinations)")]
    public int Heads { get; init; } = 1;

    [Description("β, weight of the commitment loss β‖z_e − sg(z_q)‖²")]
    public double Commitment { get; init; } = 0.25;

    [Description("update codes by exponential moving averages of their assigned encoder outputs instead of the codebook loss")]
    public bool Ema { get; init; } = true;

    [Description("decay γ of the EMA codebook updates")]
    public double EmaDecay { get; init; } = 0.99;

    [Description("initialise every codebook by k-means on the first training batch")]
    public bool KmeansInit { get; init; } = true;

    [Description("re-seed a code from a random encoder output of the batch once it has gone unused this many steps; 0 turns restarts off")]
    public int RestartAfter { get; init; } = 20;

    [Description("mlp only: number of latent positions (slots), each quantised to one code per head")]
    public int Slots { get; init; } = 16;

    [Description("epochs of the autoregressive transformer prior over codes, fitted after training (0: sample from the empirical code distribution)")]
    public int PriorEpochs { get; init; } = 4;

    [Description("width of the prior transformer")]
    public int PriorWidth { get; init; } = 64;

    [Description("blocks of the prior transformer")]
    public int PriorLayers { get; init; } = 2;

    /// <summary>Dimension of one code vector: <see cref="CodeDim"/>, or z_e split evenly across the heads.</summary>
    [JsonIgnore]
    public int CodeDimension => CodeDim ?? LatentDim / Heads;

    /// <summary>Bits to store one code: ⌈log2 K⌉.</summary>
    [JsonIgnore]
    public int BitsPerCode => PackedCodes.BitsPerCode(CodebookSize);

    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"vqvae needs images or tables, not {shape}; pass --model dae for token data");
        if (Arch is not (Architecture.Mlp or Architecture.Conv))
            throw new UserInputException($"--arch {Arch.ToString().ToLowerInvariant()} is not available for vqvae; pass --arch mlp or conv");
        if (CodebookSize is < 2 or > MaxCodebookSize)
            throw new UserInputException($"--codebook-size {CodebookSize} is out of range; pass a number of codes from 2 to {MaxCodebookSize}, e.g. 512");
        if (Heads is < 1 or > 64)
            throw new UserInputException($"--heads {Heads} is out of range; pass from 1 to 64 heads");
        if (CodeDim is null && LatentDim % Heads != 0)
            throw new UserInputException($"--latent-dim {LatentDim} does not split into {Heads} heads; pass a --latent-dim divisible by --heads, or --code-dim");
        if (CodeDim is <= 0)
            throw new UserInputException($"--code-dim {CodeDim} must be positive; pass e.g. --code-dim 16, or leave it out");
        if (!(Commitment >= 0) || !double.IsFinite(Commitment))
            throw new UserInputException($"--commitment {Commitment} must be zero or positive; pass e.g. --commitment 0.25");
        if (!(EmaDecay is > 0 and < 1))
            throw new UserInputException($"--ema-decay {EmaDecay} must be in (0, 1); pass e.g. --ema-decay 0.99");
        if (RestartAfter < 0)
            throw new UserInputException($"--restart-after {RestartAfter} must be 0 (off) or a number of steps, e.g. 20");
        if (Slots is < 1 or > 4096)
            throw new UserInputException($"--slots {Slots} is out of range; pass from 1 to 4096 latent positions");
        if (PriorEpochs < 0)
            throw new UserInputException($"--prior-epochs {PriorEpochs} must be 0 (empirical prior only) or positive");
        if (PriorWidth <= 0 || PriorWidth % CodeTransformer.AttentionHeads != 0)
            throw new UserInputException($"--prior-width {PriorWidth} must be a positive multiple of {CodeTransformer.AttentionHeads}; pass e.g. 64");
        if (PriorLayers is < 1 or > 24)
            throw new UserInputException($"--prior-layers {PriorLayers} is out of range; pass from 1 to 24 blocks");
        _ = NearestCodeSearch.Selected; // a bad LATENT_NEAREST_CODE_KERNEL is reported before any work starts
        long sequence = (long)Positions(shape) * Heads;
        if (sequence > MaxSequence)
            throw new UserInputException(
                $"{Positions(shape)} positions × {Heads} heads = {sequence} codes per example, more than the prior handles ({MaxSequence}); pass fewer --heads, --slots or more --channels stages");
    }

    /// <summary>Largest supported K (codes are packed into at most 16 bits each).</summary>
    public const int MaxCodebookSize = 1 << 16;

    /// <summary>Longest code sequence (positions × heads) the prior models.</summary>
    public const int MaxSequence = 4096;

    /// <summary>The latent grid for data of this shape: [h, w] for conv, [slots] for mlp.</summary>
    public int[] Grid(DataShape shape)
    {
        if (Arch != Architecture.Conv) return [Slots];
        int side = 1 << Channels.Length;
        return [shape.Height / side, shape.Width / side];
    }

    /// <summary>Latent positions per example: h·w or slots.</summary>
    public int Positions(DataShape shape) => Grid(shape).Aggregate(1, (a, b) => a * b);

    /// <summary>How codebooks learn, for <see cref="Codebook"/>.</summary>
    [JsonIgnore]
    internal CodebookTraining CodebookTraining => new(Ema, EmaDecay, KmeansInit, RestartAfter);
}
