using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// The built-in shapes as a streamed store: nothing is rendered until a batch asks for it, and then
/// only that batch (in parallel, straight into the tensor's memory). Image i is a pure function of
/// (seed, i), so a batch in any order is bit for bit the images <see cref="ShapesSource.Generate(ShapesSpec, int, long)"/>
/// would have held, and memory does not grow with the number of examples.
/// </summary>
internal sealed class RenderedShapes : IExampleStore
{
    readonly ShapesSpec _spec;
    readonly ShapeFactors[] _draws;   // one per example of this store, in order

    /// <summary>The images of <paramref name="draws"/> at <paramref name="spec"/>.</summary>
    public RenderedShapes(ShapesSpec spec, ShapeFactors[] draws) => (_spec, _draws) = (spec, draws);

    public int Count => _draws.Length;

    public Tensor Gather(ReadOnlySpan<int> indices)
    {
        var draws = new ShapeFactors[indices.Length];
        for (int i = 0; i < indices.Length; i++) draws[i] = _draws[indices[i]];
        var batch = empty([draws.Length, _spec.Channels, _spec.Size, _spec.Size]);      // [B, C, S, S]
        ShapesSource.RenderAll(_spec, draws, batch.bytes);
        return batch;
    }

    public IExampleStore Subset(IReadOnlyList<int> indices) => new RenderedShapes(_spec, indices.Select(i => _draws[i]).ToArray());
}
