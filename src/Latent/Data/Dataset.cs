using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Data;

/// <summary>
/// Examples held in memory as one tensor [N, ...shape] (float32; int64 for tokens), with optional
/// integer labels and, for generated data, the generative factors of every example.
/// </summary>
public sealed class Dataset
{
    public Dataset(Tensor features, DataShape shape, int[]? labels = null, IReadOnlyList<string>? labelNames = null,
                   IReadOnlyDictionary<string, float[]>? factors = null)
    {
        if (features.shape[0] != (labels?.Length ?? features.shape[0]))
            throw new ArgumentException("one label per example is required", nameof(labels));
        Features = features;
        Shape = shape;
        Labels = labels;
        LabelNames = labelNames;
        Factors = factors;
    }

    /// <summary>[N, ...Shape.Dimensions].</summary>
    public Tensor Features { get; }
    public DataShape Shape { get; }
    /// <summary>Class of each example, or null when the data has no labels.</summary>
    public int[]? Labels { get; }
    /// <summary>Name of each class, indexed by label.</summary>
    public IReadOnlyList<string>? LabelNames { get; }
    /// <summary>Generative factors (for <c>shapes</c>): factor name to one value per example.</summary>
    public IReadOnlyDictionary<string, float[]>? Factors { get; }

    public int Count => (int)Features.shape[0];

    /// <summary>Number of classes, or 0 without labels.</summary>
    public int ClassCount => Labels is null ? 0 : Math.Max(LabelNames?.Count ?? 0, Labels.Max() + 1);

    /// <summary>The examples at <paramref name="indices"/>, in that order, as a new dataset.</summary>
    public Dataset Subset(IReadOnlyList<int> indices)
    {
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        return new Dataset(Features.index_select(0, index), Shape,
            Labels is null ? null : indices.Select(i => Labels[i]).ToArray(), LabelNames,
            Factors?.ToDictionary(pair => pair.Key, pair => indices.Select(i => pair.Value[i]).ToArray()));
    }

    /// <summary>The first <paramref name="count"/> examples (all when there are fewer).</summary>
    public Dataset Take(int count) => count >= Count ? this : Subset(Enumerable.Range(0, count).ToArray());

    /// <summary>The examples at <paramref name="indices"/>, in that order, as one batch [B, ...shape].</summary>
    public Tensor Gather(ReadOnlySpan<int> indices)
    {
        var index = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) index[i] = indices[i];
        using var positions = tensor(index);
        return Features.index_select(0, positions);
    }

    /// <summary>Batches of examples in order: [B, ...shape] views of <see cref="Features"/>.</summary>
    public IEnumerable<Tensor> Batches(int batchSize)
    {
        for (long start = 0; start < Count; start += batchSize)
            yield return Features.narrow(0, start, Math.Min(batchSize, Count - start));
    }
}

/// <summary>The three splits: train for fitting, validation for model selection, test for reporting only.</summary>
public sealed record DataSplits(Dataset Train, Dataset Validation, Dataset Test)
{
    public DataShape Shape => Train.Shape;
}
