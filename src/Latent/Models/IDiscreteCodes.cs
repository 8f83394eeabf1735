using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// A model whose representation is discrete: at each of <see cref="Positions"/> latent positions
/// (a grid of <see cref="Grid"/>), <see cref="Heads"/> integer codes, each in [0, <see cref="CodebookSize"/>).
/// What the packed <c>.vq</c> files, codebook statistics, the code prior and the explorer's code
/// editor rely on; they never ask for a concrete class.
/// </summary>
public interface IDiscreteCodes
{
    /// <summary>The latent grid: [h, w] for a conv encoder, [slots] for an MLP.</summary>
    IReadOnlyList<int> Grid { get; }

    /// <summary>P, latent positions per example: the product of <see cref="Grid"/>.</summary>
    int Positions { get; }

    /// <summary>L, codes per position (for a residual quantizer, heads × stages: <see cref="CodeSpace.CodesPerPosition"/>).</summary>
    int Heads { get; }

    /// <summary>K, the number of distinct codes of each head.</summary>
    int CodebookSize { get; }

    /// <summary>What the codes are (quantizer, heads, stages, K, levels): what a .vq file records and a reader checks.</summary>
    CodeSpace Space { get; }

    /// <summary>Bits that store one example's codes.</summary>
    long BitsPerExample { get; }

    /// <summary>x [B, ...shape] → the code of every position and head, [B, P, L] int64 in [0, K).</summary>
    Tensor Codes(Tensor x);

    /// <summary>Codes [B, P, L] → x̂ [B, ...shape] in data units.</summary>
    Tensor DecodeCodes(Tensor codes);

    /// <summary>
    /// Codes [B, P, L] → x̂ from the first <paramref name="stages"/> of <see cref="CodeSpace.Stages"/> only (a residual
    /// quantizer's coarser reconstructions); all stages give <see cref="DecodeCodes(Tensor)"/>.
    /// </summary>
    Tensor DecodeCodes(Tensor codes, int stages);

    /// <summary>
    /// log p(codes) under the model's own fitted prior over codes, nats per example: codes [N, P, L] → [N];
    /// null while no prior is fitted.
    /// </summary>
    Tensor? CodeLogLikelihood(Tensor codes);
}

/// <summary>Helpers over any <see cref="IDiscreteCodes"/> model.</summary>
public static class DiscreteCodes
{
    /// <summary>⌈log2 K⌉: the bits that store one code of a codebook of K.</summary>
    public static int BitsPerCode(int codebookSize) => codebookSize <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(codebookSize - 1));

    /// <summary>Codes [N, P, L] of every example of <paramref name="data"/>, in batches, without gradients.</summary>
    public static Tensor Of(IDiscreteCodes model, Dataset data, int batchSize = 500)
    {
        if (data.Count == 0) return zeros(0, model.Positions, model.Heads, ScalarType.Int64);
        using var noGrad = no_grad();
        var parts = data.Batches(batchSize).Select(model.Codes).ToArray();
        try { return cat(parts, 0); }
        finally { foreach (var part in parts) part.Dispose(); }
    }
}
