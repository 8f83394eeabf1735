using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>The standard pictures of a run.</summary>
public static class RunFigures
{
    /// <summary>
    /// The first <paramref name="count"/> examples (rows of originals) above their reconstructions.
    /// Image data only; returns false for tables and tokens, which have no picture.
    /// </summary>
    public static bool SaveReconstructions(string path, Autoencoder model, Dataset data, int count = 32, int columns = 8)
    {
        if (data.Shape.Kind != DataKind.Image) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var originals = data.Features.narrow(0, 0, Math.Min(count, data.Count));
        var reconstructions = model.Reconstruct(originals);
        ImageGrid.Save(path, ImageGrid.Pairs(originals, reconstructions, columns), columns, scale: 2);
        return true;
    }
}
