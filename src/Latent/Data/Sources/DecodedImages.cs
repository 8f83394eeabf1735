using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// A folder's images as a streamed store: a batch is decoded from its files when it is asked for (in
/// parallel, straight into the batch's memory), so memory holds the batch and never the folder. Example
/// i is always the decoding of file i with the same layout and size, so a batch in any order is bit for
/// bit what the in-memory path holds, and a seeded shuffle stays exactly resumable.
/// <para>
/// A file that is gone or fails to decode when its batch comes (the folder changed after it was read)
/// stops the run with the file named, never a silent hole; its checkpoints stay.
/// </para>
/// </summary>
public sealed class DecodedImages : IExampleStore
{
    readonly IReadOnlyList<string> _files;
    readonly PixelLayout _layout;
    readonly int _height, _width;

    /// <summary>The images of <paramref name="files"/>, each decoded by <paramref name="layout"/> to <paramref name="height"/> × <paramref name="width"/>.</summary>
    public DecodedImages(IReadOnlyList<string> files, PixelLayout layout, int height, int width) =>
        (_files, _layout, _height, _width) = (files, layout, height, width);

    /// <summary>Number of images.</summary>
    public int Count => _files.Count;

    /// <summary>The images at <paramref name="indices"/> as one tensor [B, C, H, W] of floats in [0, 1].</summary>
    public Tensor Gather(ReadOnlySpan<int> indices)
    {
        var files = new string[indices.Length];
        for (int i = 0; i < indices.Length; i++) files[i] = _files[indices[i]];
        int size = _layout.Channels * _height * _width;
        var pixels = new float[files.Length * size];
        try
        {
            Parallel.For(0, files.Length, i => ImageFolderSource.DecodeInto(files[i], _layout, pixels.AsSpan(i * size, size), _height, _width));
        }
        catch (AggregateException error) when (error.InnerExceptions.FirstOrDefault(inner => inner is UserInputException) is UserInputException first)
        {
            throw first;
        }
        return tensor(pixels, [files.Length, _layout.Channels, _height, _width]);   // [B, C, H, W]
    }

    /// <summary>The images at <paramref name="indices"/>, as a store of their own (nothing is decoded).</summary>
    public IExampleStore Subset(IReadOnlyList<int> indices) => new DecodedImages(indices.Select(i => _files[i]).ToArray(), _layout, _height, _width);
}
