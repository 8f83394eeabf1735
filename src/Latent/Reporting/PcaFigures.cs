using System.Globalization;
using Latent.Data;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>The pictures of a PCA fit: the scree plot and the components drawn as images.</summary>
public static class PcaFigures
{
    /// <summary>The scree plot (kept and left-out components) and, for images, the components as pictures; returns the files written.</summary>
    public static IReadOnlyList<string> DrawAll(string directory, PcaModel model)
    {
        var written = new List<string>();
        var scree = Path.Combine(directory, "scree.png");
        SaveScree(scree, model.ExplainedVarianceRatio.data<float>().Select(v => (double)v).ToArray(), model.LeftOutVarianceRatios);
        written.Add(scree);
        if (model.Shape.Kind == DataKind.Image)
        {
            var images = Path.Combine(directory, "components.png");
            SaveComponents(images, model.Mean, model.Components, model.Shape);
            written.Add(images);
        }
        return written;
    }

    /// <summary>
    /// Explained variance ratio per component on a log scale: the <paramref name="kept"/> components
    /// and, when known, the <paramref name="leftOut"/> ones that follow them.
    /// </summary>
    public static void SaveScree(string path, double[] kept, double[] leftOut)
    {
        var series = new List<(string, double[], double[])>
        {
            ($"kept ({kept.Length})", Enumerable.Range(1, kept.Length).Select(i => (double)i).ToArray(), kept),
        };
        if (leftOut.Length > 0)
            series.Add(("left out", Enumerable.Range(kept.Length + 1, leftOut.Length).Select(i => (double)i).ToArray(), leftOut));
        string explained = (100 * kept.Sum()).ToString("F1", CultureInfo.InvariantCulture);
        Plots.Lines(path, $"Scree plot: {kept.Length} components explain {explained}% of the variance", "component",
                    "explained variance ratio (log scale)", series.Where(s => s.Item3.All(v => v > 0)), logY: true);
    }

    /// <summary>
    /// The mean image, then the first components (up to 31), each mapped to grey levels
    /// 0.5 + 0.5·w / max|w| so that zero loadings are mid-grey, positive light and negative dark.
    /// </summary>
    public static void SaveComponents(string path, Tensor mean, Tensor components, DataShape shape, int count = 31)
    {
        using var scope = NewDisposeScope();
        count = Math.Min(count, (int)components.shape[0]);
        var shown = components.narrow(0, 0, count);                                       // [n, F]
        var peak = shown.abs().amax([1], keepdim: true).clamp_min(1e-12);
        var grey = shown.div(peak).mul(0.5).add(0.5);
        var tiles = cat([mean.unsqueeze(0), grey], 0).reshape([count + 1, .. shape.Dimensions]); // [n + 1, C, H, W]
        ImageGrid.Save(path, tiles, columns: 8, scale: 2);
    }
}
