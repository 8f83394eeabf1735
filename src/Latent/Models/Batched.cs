using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>Running a model over many examples in batches, without gradients, keeping only the outputs alive.</summary>
public static class Batched
{
    /// <summary>Examples per forward pass unless a caller says otherwise.</summary>
    public const int DefaultBatchSize = 500;

    /// <summary>
    /// <paramref name="function"/> applied to <paramref name="rows"/> in batches, one dispose scope per
    /// batch so that only the outputs stay alive, concatenated: [N, ...] → [N, ...output].
    /// </summary>
    public static Tensor Apply(Func<Tensor, Tensor> function, Tensor rows, int batchSize = DefaultBatchSize)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < rows.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            parts.Add(function(rows.narrow(0, start, Math.Min(batchSize, rows.shape[0] - start))).MoveToOuterDisposeScope());
        }
        try
        {
            return parts.Count == 0 ? function(rows) : cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <summary>Representations of all examples, [N, D].</summary>
    public static Tensor Encode(Autoencoder model, Dataset data, int batchSize = DefaultBatchSize)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        foreach (var batch in data.Batches(batchSize))
        {
            // One scope per batch: a deep encoder's intermediates would otherwise wait for the GC (tens of GB over 60k images).
            using var scope = NewDisposeScope();
            parts.Add(model.Encode(batch).MoveToOuterDisposeScope());
        }
        try
        {
            return parts.Count == 0 ? zeros(0, model.RepresentationSize) : cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}
