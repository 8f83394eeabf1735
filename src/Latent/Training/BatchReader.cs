using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>
/// The batches of one epoch in the order of its shuffle. For a streamed split (rendered or decoded on
/// request) the next batch is made on a worker while the current one trains, so decoding overlaps the
/// optimiser step; what a batch holds does not depend on it (a store's batch is a pure function of its
/// indices), so runs stay bit for bit reproducible and resumable. A split in memory is read in place.
/// </summary>
sealed class BatchReader(Dataset data, int[] order, int batchSize) : IDisposable
{
    Task<Tensor>? _next;
    int _nextBatch = -1;

    /// <summary>Batch <paramref name="batch"/> of the epoch, [B, ...shape], owned by the caller.</summary>
    public Tensor Read(int batch)
    {
        var (next, nextBatch) = (_next, _nextBatch);
        _next = null;
        var examples = next is not null && nextBatch == batch ? next.GetAwaiter().GetResult() : Gather(batch);
        if (data.IsStreamed && (batch + 1) * batchSize < order.Length)
        {
            int following = batch + 1;
            (_next, _nextBatch) = (Task.Run(() => Gather(following)), following);
        }
        return examples;
    }

    Tensor Gather(int batch)
    {
        int start = batch * batchSize;
        return data.Gather(order.AsSpan(start, Math.Min(batchSize, order.Length - start)));
    }

    /// <summary>Waits for a batch still being made and frees it.</summary>
    public void Dispose()
    {
        if (_next is null) return;
        try { _next.GetAwaiter().GetResult().Dispose(); }
        catch (Exception) { }   // the epoch ended (or failed) before it needed that batch: its error is not this run's
        _next = null;
    }
}
