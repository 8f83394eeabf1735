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
        foreach (var batch in WithLabels(model, data, batchSize))
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

    /// <summary>
    /// <paramref name="data"/>'s batches in order (<see cref="Dataset.Batches"/>), each with its labels given to a
    /// conditioned <paramref name="model"/> (<see cref="Autoencoder.Given"/>); other models (or null) get the plain batches while the caller holds the batch.
    /// </summary>
    public static IEnumerable<Tensor> WithLabels(Autoencoder? model, Dataset data, int batchSize)
    {
        if (model?.Condition is null)
        {
            foreach (var batch in data.Batches(batchSize)) yield return batch;
            yield break;
        }
        int start = 0;
        foreach (var batch in data.Batches(batchSize))
        {
            int length = (int)batch.shape[0];
            using var labels = LabelCondition.LabelsOf(data, start, length);
            using var given = model.Given(labels);
            yield return batch;
            start += length;
        }
    }

    /// <summary>The first <paramref name="count"/> examples of <paramref name="data"/> (all when there are fewer) through <paramref name="function"/>, with their labels given to a conditioned model.</summary>
    public static Tensor OnHead(Autoencoder model, Dataset data, int count, Func<Tensor, Tensor> function)
    {
        var head = data.Head(count);
        using var labels = model.Condition is null ? null : LabelCondition.LabelsOf(data, 0, (int)head.shape[0]);
        using var given = model.Given(labels);
        return function(head);
    }
}
