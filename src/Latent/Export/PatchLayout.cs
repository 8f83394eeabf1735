using Latent.Data;

namespace Latent.Export;

/// <summary>Cutting images into p×p patches and back in ONNX, in the layout of <see cref="Nn.Patches"/> (MAE's).</summary>
internal static class PatchLayout
{
    /// <summary>[B, C, H, W] → [B, h·w, p·p·C]: patches row-major, pixels (row, column, channel) inside.</summary>
    public static string Patchify(OnnxGraph graph, string images, int patchSize, DataShape shape, string output)
    {
        long rows = shape.Height / patchSize, columns = shape.Width / patchSize;
        // [B, C, h, p, w, p] -> [B, h, w, p, p, C] -> [B, h·w, p·p·C]
        var split = graph.Node("Reshape", [images, graph.Longs(-1, shape.Channels, rows, patchSize, columns, patchSize)], $"{output}.split");
        var ordered = graph.Node("Transpose", [split], $"{output}.ordered", OnnxGraph.Ints("perm", 0, 2, 4, 3, 5, 1));
        return graph.Node("Reshape", [ordered, graph.Longs(-1, rows * columns, (long)patchSize * patchSize * shape.Channels)], output);
    }

    /// <summary>The inverse: [B, h·w, p·p·C] → [B, C, H, W].</summary>
    public static string Unpatchify(OnnxGraph graph, string patches, int patchSize, DataShape shape, string output)
    {
        long rows = shape.Height / patchSize, columns = shape.Width / patchSize;
        // [B, h·w, p·p·C] -> [B, h, w, p, p, C] -> [B, C, h, p, w, p] -> [B, C, H, W]
        var split = graph.Node("Reshape", [patches, graph.Longs(-1, rows, columns, patchSize, patchSize, shape.Channels)], $"{output}.split");
        var ordered = graph.Node("Transpose", [split], $"{output}.ordered", OnnxGraph.Ints("perm", 0, 5, 1, 3, 2, 4));
        return graph.Node("Reshape", [ordered, graph.Longs(-1, shape.Channels, shape.Height, shape.Width)], output);
    }
}
