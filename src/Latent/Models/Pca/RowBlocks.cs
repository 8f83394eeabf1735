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
    /// <summary>X itself.</summary>
    public Tensor Matrix => x;

    /// <inheritdoc/>
    public long Rows => x.shape[0];
    /// <inheritdoc/>
    public long Features => x.shape[1];
    /// <summary>One block: X itself.</summary>
    public IEnumerable<Tensor> Blocks() { yield return x; }
}

/// <summary>Rows read from another <see cref="IRowBlocks"/> with a vector subtracted, block by block (X − 1μᵀ without a copy of X).</summary>
public sealed class ShiftedRows(IRowBlocks rows, Tensor shift) : IRowBlocks
{
    /// <inheritdoc/>
    public long Rows => rows.Rows;
    /// <inheritdoc/>
    public long Features => rows.Features;
    /// <summary>The underlying blocks with the shift subtracted from every row, [nᵢ, F] each.</summary>
    public IEnumerable<Tensor> Blocks()
    {
        foreach (var block in rows.Blocks())
        {
            using var shifted = block - shift;                                          // [n, F]
            yield return shifted;
        }
    }
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
    /// (float64), read a chunk of rows at a time so that nothing as large as X is ever allocated: per
    /// column Σx and ‖x‖² (float32 reductions, summed in float64), then ‖X̃‖² = Σ‖x_j‖² − N·μ_j².
    /// That subtraction loses digits when the mean dominates the spread, so beyond a tenfold ratio a
    /// second pass centres each chunk instead. A non-finite result means NaN or infinite values.
    /// </summary>
    public static (Tensor Mean, double SumOfSquares) Moments(this IRowBlocks rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sums = zeros(rows.Features, ScalarType.Float64);
        var squares = zeros(rows.Features, ScalarType.Float64);
        foreach (var chunk in Chunks(rows))
        {
            sums.add_(chunk.sum([0]).to(ScalarType.Float64));
            squares.add_(linalg.vector_norm(chunk, 2, [0]).to(ScalarType.Float64).pow_(2));
        }
        var mean64 = sums / rows.Rows;
        double raw = squares.sum().item<double>();
        double sumOfSquares = raw - rows.Rows * mean64.square().sum().item<double>();
        var mean = mean64.to(ScalarType.Float32);
        if (!(sumOfSquares * 10 >= raw))
        {
            sumOfSquares = 0;
            foreach (var chunk in Chunks(rows))
            {
                using var centred = chunk - mean;                                       // [n, F]: one chunk, not X
                sumOfSquares += linalg.vector_norm(centred, 2, [0]).to(ScalarType.Float64).pow_(2).sum().item<double>();
            }
        }
        return (mean.MoveToOuterDisposeScope(), sumOfSquares);
    }

    /// <summary>The rows in views of at most 4096 rows.</summary>
    internal static IEnumerable<Tensor> Chunks(IRowBlocks rows)
    {
        const long size = 4096;
        foreach (var block in rows.Blocks())
            for (long start = 0; start < block.shape[0]; start += size)
            {
                using var chunk = block.narrow(0, start, Math.Min(size, block.shape[0] - start));
                yield return chunk;
            }
    }
}
