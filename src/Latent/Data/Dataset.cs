using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Data;

/// <summary>
/// Examples held in memory as one tensor [N, ...shape] (float32; int64 for tokens), or streamed from an
/// <see cref="IExampleStore"/> batch by batch (<see cref="IsStreamed"/>), with optional integer labels
/// and, for generated data, the generative factors of every example.
/// </summary>
public sealed class Dataset
{
    Tensor? _features;
    readonly IExampleStore? _store;

    /// <summary>A dataset held in memory.</summary>
    /// <param name="features">The examples, [N, ...shape.Dimensions], float32 ([0, 1] for images; token ids for text).</param>
    /// <param name="shape">The shape of one example.</param>
    /// <param name="labels">One class per example, or null.</param>
    /// <param name="labelNames">The name of each class, indexed by label, or null.</param>
    /// <param name="factors">Generative factors by name, one value per example (for <c>shapes</c>), or null.</param>
    public Dataset(Tensor features, DataShape shape, int[]? labels = null, IReadOnlyList<string>? labelNames = null,
                   IReadOnlyDictionary<string, float[]>? factors = null)
        : this(shape, features.shape[0], labels, labelNames, factors) => _features = features;

    /// <summary>A streamed dataset: its examples are read from <paramref name="store"/> when a batch asks for them.</summary>
    public Dataset(IExampleStore store, DataShape shape, int[]? labels = null, IReadOnlyList<string>? labelNames = null,
                   IReadOnlyDictionary<string, float[]>? factors = null)
        : this(shape, store.Count, labels, labelNames, factors) => _store = store;

    Dataset(DataShape shape, long count, int[]? labels, IReadOnlyList<string>? labelNames, IReadOnlyDictionary<string, float[]>? factors)
    {
        if (count != (labels?.Length ?? count))
            throw new ArgumentException("one label per example is required", nameof(labels));
        Shape = shape;
        Labels = labels;
        LabelNames = labelNames;
        Factors = factors;
    }

    /// <summary>Whether the examples are streamed from a store rather than held in memory.</summary>
    public bool IsStreamed => _store is not null;

    /// <summary>
    /// [N, ...Shape.Dimensions]. A streamed dataset reads every example into memory the first time it is
    /// asked for this (and keeps them); what must stay bounded uses <see cref="Gather"/>,
    /// <see cref="Batches"/> and <see cref="Head"/> instead.
    /// </summary>
    public Tensor Features => _features ??= _store!.Gather(Enumerable.Range(0, _store.Count).ToArray()).DetachFromDisposeScope();   // kept: no caller's scope may free it
    /// <summary>The shape of one example.</summary>
    public DataShape Shape { get; }
    /// <summary>Class of each example, or null when the data has no labels.</summary>
    public int[]? Labels { get; }
    /// <summary>Name of each class, indexed by label.</summary>
    public IReadOnlyList<string>? LabelNames { get; }
    /// <summary>Generative factors (for <c>shapes</c>): factor name to one value per example.</summary>
    public IReadOnlyDictionary<string, float[]>? Factors { get; }

    /// <summary>Number of examples, N.</summary>
    public int Count => _store?.Count ?? (int)_features!.shape[0];

    /// <summary>Number of classes, or 0 without labels.</summary>
    public int ClassCount => Labels is null ? 0 : Math.Max(LabelNames?.Count ?? 0, Labels.Max() + 1);

    /// <summary>The examples at <paramref name="indices"/>, in that order, as a new dataset.</summary>
    public Dataset Subset(IReadOnlyList<int> indices)
    {
        var labels = Labels is null ? null : indices.Select(i => Labels[i]).ToArray();
        var factors = Factors?.ToDictionary(pair => pair.Key, pair => indices.Select(i => pair.Value[i]).ToArray());
        if (_store is not null && _features is null) return new Dataset(_store.Subset(indices), Shape, labels, LabelNames, factors);
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        return new Dataset(Features.index_select(0, index), Shape, labels, LabelNames, factors);
    }

    /// <summary>The first <paramref name="count"/> examples (all when there are fewer).</summary>
    public Dataset Take(int count) => count >= Count ? this : Subset(Enumerable.Range(0, count).ToArray());

    /// <summary>The examples at <paramref name="indices"/>, in that order, as one batch [B, ...shape].</summary>
    public Tensor Gather(ReadOnlySpan<int> indices)
    {
        if (_store is not null && _features is null) return _store.Gather(indices);
        var index = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) index[i] = indices[i];
        using var positions = tensor(index);
        return Features.index_select(0, positions);
    }

    /// <summary>
    /// Batches of examples in order, [B, ...shape]: views of <see cref="Features"/> in memory; for a
    /// streamed dataset, each read when the enumeration reaches it and disposed when it moves on.
    /// </summary>
    public IEnumerable<Tensor> Batches(int batchSize)
    {
        for (int start = 0; start < Count; start += batchSize)
        {
            int length = Math.Min(batchSize, Count - start);
            if (_store is null || _features is not null)
                yield return Features.narrow(0, start, length);
            else
            {
                using var batch = _store.Gather(Enumerable.Range(start, length).ToArray());
                yield return batch;
            }
        }
    }

    /// <summary>The first <paramref name="count"/> examples (all when there are fewer) as one tensor [n, ...shape], without reading the rest.</summary>
    public Tensor Head(int count)
    {
        int length = Math.Min(count, Count);
        return _store is not null && _features is null ? _store.Gather(Enumerable.Range(0, length).ToArray()) : Features.narrow(0, 0, length);
    }
}

/// <summary>The three splits: train for fitting, validation for model selection, test for reporting only.</summary>
public sealed record DataSplits(Dataset Train, Dataset Validation, Dataset Test)
{
    /// <summary>The shape of one example, the same in every split.</summary>
    public DataShape Shape => Train.Shape;
}
