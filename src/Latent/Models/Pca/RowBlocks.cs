using static TorchSharp.torch;

namespace Latent.Models.Pca;

/// <summary>
/// A data matrix X [N, F] that a solver reads as blocks of rows, pass after pass: held in memory, or
/// (for a reader that streams from disk) decoded block by block. The randomized solver needs only the
/// products below, and the incremental one only one pass, so neither needs all of X at once.
/// </summary>
public interface IRowBlocks
{
    /// <summary>N.</summary>
    long Rows { get; }

    /// <summary>F.</summary>
    long Features { get; }

    /// <summary>
    /// The rows in order, as float32 blocks [nᵢ, F] that together cover every row once. A block is
    /// valid until the enumeration moves on; the enumerator owns it (the caller does not dispose it).
    /// </summary>
    IEnumerable<Tensor> Blocks();
}

/// <summary>A matrix in memory: one block, the matrix itself, so each product is one large GEMM.</summary>
public sealed class InMemoryRows(Tensor x) : IRowBlocks
{
    public long Rows => x.shape[0];
    public long Features => x.shape[1];
    public IEnumerable<Tensor> Blocks() { yield return x; }
}

/// <summary>Products with the centred matrix X̃ = X − 1μᵀ, formed without ever centring (or copying) X.</summary>
public static class CentredProducts
{
    /// <summary>X̃P = XP − 1(μᵀP): [N, F] · [F, b] → [N, b].</summary>
    public static Tensor Times(this IRowBlocks rows, Tensor mean, Tensor p)
    {
        using var scope = NewDisposeScope();
        var shift = mean.unsqueeze(0).matmul(p);                                    // [1, b]
        var parts = rows.Blocks().Select(block => block.matmul(p).sub_(shift)).ToList();
        var result = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>X̃ᵀY = XᵀY − μ(1ᵀY): [F, N] · [N, b] → [F, b].</summary>
    public static Tensor TransposeTimes(this IRowBlocks rows, Tensor mean, Tensor y)
    {
        using var scope = NewDisposeScope();
        var sum = zeros(rows.Features, y.shape[1]);
        long start = 0;
        foreach (var block in rows.Blocks())
        {
            long count = block.shape[0];
            sum.add_(block.T.matmul(y.narrow(0, start, count)));
            start += count;
        }
        if (start != rows.Rows) throw new InvalidOperationException($"the blocks held {start} rows, not {rows.Rows}");
        sum.sub_(mean.unsqueeze(1).matmul(y.sum([0], keepdim: true)));
        return sum.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One pass for the column means μ [F] (float32) and the total centred sum of squares ‖X̃‖²_F
    /// (float64, centred block by block, so without cancellation). A non-finite result means NaN or
    /// infinite values in the data.
    /// </summary>
    public static (Tensor Mean, double SumOfSquares) Moments(this IRowBlocks rows)
    {
        using var scope = NewDisposeScope();
        var columnSums = zeros(rows.Features, ScalarType.Float64);
        foreach (var block in rows.Blocks()) columnSums.add_(block.sum([0], false, ScalarType.Float64));
        var mean = (columnSums / rows.Rows).to(ScalarType.Float32);
        double sumOfSquares = 0;
        const long chunk = 2048;                                                    // rows centred at a time: a temporary of 2048·F floats
        foreach (var block in rows.Blocks())
            for (long start = 0; start < block.shape[0]; start += chunk)
            {
                using var part = block.narrow(0, start, Math.Min(chunk, block.shape[0] - start)) - mean;  // [n, F], centred
                sumOfSquares += part.mul_(part).sum([0], false, ScalarType.Float64).sum().item<double>();
            }
        return (mean.MoveToOuterDisposeScope(), sumOfSquares);
    }
}
