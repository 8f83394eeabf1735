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
        if (dataset.Count == 0)
            throw new UserInputException(split == DataSplit.Validation && data.ValidationFraction == 0
                ? $"this run has no validation split (it was trained with --validation-fraction 0); pass --split train or --split test"
                : $"{data.Data} leaves no examples in the {split.ToString().ToLowerInvariant()} split; pass another --split or more data");
        return dataset;
    }

    static Dataset Pick(DataSplits splits, DataSplit split) => split switch
    {
        DataSplit.Train => splits.Train,
        DataSplit.Validation => splits.Validation,
        _ => splits.Test,
    };
}
