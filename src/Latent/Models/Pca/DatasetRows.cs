using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models.Pca;

/// <summary>
/// A dataset as the PCA solvers' X [N, F]: in memory, the flattened tensor itself; streamed, blocks of
/// <see cref="BlockRows"/> examples read one at a time, each disposed when the next is read, so a fit
/// holds one block of X (plus the solver's own N × b or F × F work) whatever N is.
/// </summary>
public sealed class DatasetRows(Dataset data, int blockRows = DatasetRows.DefaultBlockRows) : IRowBlocks
{
    /// <summary>Rows per block of a streamed dataset: 4096 (200 MB of 64 × 64 colour images).</summary>
    public const int DefaultBlockRows = 4096;

    /// <summary>Rows per block read from a streamed dataset.</summary>
    public int BlockRows => blockRows;

    /// <summary>The rows as one matrix when the dataset is in memory, else null.</summary>
    public Tensor? Matrix => data.IsStreamed ? null : data.Features.flatten(1);          // [N, ...shape] -> [N, F]

    /// <inheritdoc/>
    public long Rows => data.Count;
    /// <inheritdoc/>
    public long Features => data.Shape.Size;

    /// <summary>
    /// In memory, one block: the flattened matrix [N, F]; streamed, blocks of <see cref="BlockRows"/> rows [nᵢ, F] read in order.
    /// </summary>
    public IEnumerable<Tensor> Blocks()
    {
        if (!data.IsStreamed)
        {
            using var matrix = data.Features.flatten(1);
            yield return matrix;
            yield break;
        }
        foreach (var batch in data.Batches(blockRows))
        {
            using var block = batch.flatten(1);                                            // [n, ...shape] -> [n, F]
            yield return block;
        }
    }
}
