using System.IO.MemoryMappedFiles;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// Examples stored as unsigned bytes, one after another, in a file (a raw IDX file past its header, or a
/// <see cref="PreparedCache"/> copy), memory-mapped: a batch copies its rows out of the page cache and
/// becomes floats in [0, 1] exactly as the in-memory path makes them (byte → float32, ÷ 255), so memory
/// holds the batch and the operating system decides what of the file stays resident.
/// </summary>
public sealed class MappedBytes : IExampleStore
{
    readonly MemoryMappedViewAccessor _view;
    readonly long _offset;
    readonly long[] _dimensions;   // of one example, e.g. [1, 28, 28]
    readonly int _exampleBytes;
    readonly int[]? _rows;          // this store's examples among the file's, or all of them in order

    /// <summary>The <paramref name="count"/> examples of <paramref name="dimensions"/> that start <paramref name="offset"/> bytes into <paramref name="path"/>.</summary>
    public MappedBytes(string path, long offset, int count, long[] dimensions)
    {
        long exampleBytes = dimensions.Aggregate(1L, (product, d) => product * d);
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, mapName: null, capacity: 0, MemoryMappedFileAccess.Read);
        _view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        if (_view.Capacity < offset + count * exampleBytes)
            throw new UserInputException($"'{path}' holds {_view.Capacity} bytes, fewer than the {offset + count * exampleBytes} its {count} examples need; it is truncated: replace it");
        (_offset, _dimensions, _exampleBytes, Count) = (offset, dimensions, (int)exampleBytes, count);
    }

    MappedBytes(MappedBytes whole, int[] rows)
    {
        (_view, _offset, _dimensions, _exampleBytes, _rows) = (whole._view, whole._offset, whole._dimensions, whole._exampleBytes, rows);
        Count = rows.Length;
    }

    /// <summary>Number of examples.</summary>
    public int Count { get; }

    /// <summary>The examples at <paramref name="indices"/> as one tensor [B, ...dimensions] of floats in [0, 1].</summary>
    public Tensor Gather(ReadOnlySpan<int> indices)
    {
        var bytes = new byte[(long)indices.Length * _exampleBytes];
        for (int i = 0; i < indices.Length; i++)
        {
            long row = _rows?[indices[i]] ?? indices[i];
            _view.ReadArray(_offset + row * _exampleBytes, bytes, i * _exampleBytes, _exampleBytes);
        }
        using var raw = tensor(bytes, [indices.Length, .. _dimensions], ScalarType.Byte);   // [B, ...dimensions]
        return raw.to(ScalarType.Float32).div_(255f);
    }

    /// <summary>The examples at <paramref name="indices"/>, as a store of their own over the same mapping.</summary>
    public IExampleStore Subset(IReadOnlyList<int> indices) =>
        new MappedBytes(this, indices.Select(i => _rows?[i] ?? i).ToArray());
}
