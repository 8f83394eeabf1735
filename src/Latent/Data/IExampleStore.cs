using static TorchSharp.torch;

namespace Latent.Data;

/// <summary>
/// Where a streamed <see cref="Dataset"/>'s examples live when they are not one tensor in memory: a
/// source that hands over any examples on request (rendered on the fly, or read from disk), so that
/// a split of any size costs memory only for the batch asked for.
/// </summary>
public interface IExampleStore
{
    /// <summary>Number of examples.</summary>
    int Count { get; }

    /// <summary>The examples at <paramref name="indices"/> (0 ≤ i &lt; <see cref="Count"/>), in that order, as a new tensor [B, ...shape] that the caller owns.</summary>
    Tensor Gather(ReadOnlySpan<int> indices);

    /// <summary>The examples at <paramref name="indices"/>, in that order, as a store of their own (nothing is read).</summary>
    IExampleStore Subset(IReadOnlyList<int> indices);
}
