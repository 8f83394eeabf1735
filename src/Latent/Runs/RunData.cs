using Latent.Data;

namespace Latent.Runs;

public enum DataSplit
{
    Train,
    Validation,
    Test,
}

/// <summary>Data for an existing run: its own, or another source of the same shape (<c>--data</c>).</summary>
public static class RunData
{
    /// <summary>
    /// Loads <paramref name="split"/> of <paramref name="data"/> (the run's data options, possibly with
    /// another spec) and checks that its examples have the shape the model was trained on.
    /// </summary>
    public static Dataset Load(Manifest manifest, DataOptions data, DataSplit split)
    {
        var seed = manifest.Training?.Seed ?? 0;
        var dataset = split == DataSplit.Test ? DataCatalog.LoadTest(data) : Pick(DataCatalog.Load(data, seed), split);
        if (dataset.Shape != manifest.Shape)
            throw new UserInputException(
                $"{data.Data} holds {dataset.Shape} but the run was trained on {manifest.Shape}; pass --data with data of the same shape{(data.Uses(nameof(DataOptions.ImageSize)) && manifest.Shape.Kind == DataKind.Image ? $" (or --image-size {manifest.Shape.Height})" : "")}");
        return dataset;
    }

    static Dataset Pick(DataSplits splits, DataSplit split) => split switch
    {
        DataSplit.Train => splits.Train,
        DataSplit.Validation => splits.Validation,
        _ => splits.Test,
    };
}
