// The one place that maps --quantizer to a quantizer; everything else sees IQuantizer and its CodeSpace.

using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>Builds the quantizer that a VQ-VAE's options ask for.</summary>
public static class Quantizers
{
    /// <summary>The quantizer of <paramref name="options"/> (validated) for z_e of <see cref="ModelOptions.LatentDim"/> channels.</summary>
    public static IQuantizer Create(VqOptions options)
    {
        int dimension = options.LatentDim;
        return options.Quantizer switch
        {
            QuantizerKind.Vq => new VectorQuantizer(dimension, options.Heads, options.CodebookSize, options.CodeDimension,
                                                    options.CodebookTraining, options.Commitment, options.Gradient),
            QuantizerKind.Fsq => new FiniteScalarQuantizer(dimension, options.Heads, options.FsqLevels),
            QuantizerKind.Lfq => new LookupFreeQuantizer(dimension, options.Heads, options.BitsPerCode,
                new EntropyPenalty(options.SampleEntropyWeight, options.BatchEntropyWeight, options.EntropyTemperature, options.Commitment)),
            QuantizerKind.Rvq => new ResidualQuantizer(dimension, options.Heads, options.CodebookSize, options.CodeDimension, options.CodebookTraining,
                new ResidualStages(options.StageCount, options.SharedCodebook, options.QuantizerDropout, options.Commitment, options.Gradient)),
            _ => throw new ArgumentOutOfRangeException(nameof(options), $"no quantizer {options.Quantizer}"),
        };
    }

    /// <summary>The quantizer as the module it is, for registering it in a model.</summary>
    public static nn.Module AsModule(IQuantizer quantizer) =>
        quantizer as nn.Module ?? throw new ArgumentException($"a quantizer must be a TorchSharp module, not {quantizer.GetType().Name}");
}
