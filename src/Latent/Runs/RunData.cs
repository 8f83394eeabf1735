using Latent.Data;

namespace Latent.Runs;

/// <summary>A split of a run's data: the training examples, those held out with the seed for validation, or the test split.</summary>
public enum DataSplit
{
    /// <summary>The examples the model is trained on.</summary>
    Train,
    /// <summary>The examples held out of training (<see cref="DataOptions.ValidationFraction"/>), on which checkpoints are selected and thresholds calibrated.</summary>
    Validation,
    /// <summary>The test split: the source's own, or carved out of it with a fixed seed.</summary>
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
        // The run's --classes belong to its own data: other data without labels is read whole.
        if (data.Classes is not null && !data.Uses(nameof(DataOptions.Classes))) data = data with { Classes = null };
        var dataset = split == DataSplit.Test ? DataCatalog.LoadTest(data) : Pick(DataCatalog.Load(data, seed), split);
        if (dataset.Shape != manifest.Shape)
            throw new UserInputException(
                $"{data.Data} holds {dataset.Shape} but the run was trained on {manifest.Shape}; pass {nameof(DataOptions.Data)} with data of the same shape{(data.Uses(nameof(DataOptions.ImageSize)) && manifest.Shape.Kind == DataKind.Image ? $" (or {nameof(DataOptions.ImageSize)} {manifest.Shape.Height})" : "")}",
                nameof(DataOptions.Data), nameof(DataOptions.ImageSize));
        if (dataset.Count == 0)
            throw new UserInputException(split == DataSplit.Validation && data.ValidationFraction == 0
                ? $"this run has no validation split (it was trained with {nameof(DataOptions.ValidationFraction)} 0); pass {LibraryNames.Split} train or {LibraryNames.Split} test"
                : $"{data.Data} leaves no examples in the {split.ToString().ToLowerInvariant()} split; pass another {LibraryNames.Split} or more data",
                nameof(DataOptions.ValidationFraction), LibraryNames.Split);
        return dataset;
    }

    static Dataset Pick(DataSplits splits, DataSplit split) => split switch
    {
        DataSplit.Train => splits.Train,
        DataSplit.Validation => splits.Validation,
        _ => splits.Test,
    };
}
