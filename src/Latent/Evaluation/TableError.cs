using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>
/// The reconstruction error of table rows in units of each column's spread: for every column j the test
/// MSE divided by the column's variance σⱼ² over the training split, averaged over the columns (the mean
/// of 1 − R²ⱼ against the training mean). Unlike <c>test_mse</c>, which a column on a scale of 1000
/// dominates, it weighs every column alike, whatever a model does inside, so that runs that standardise
/// and runs that do not (such as <c>latent pca</c>) compare on one figure.
/// </summary>
public static class TableError
{
    /// <summary>The figure <c>test_mse_standardized</c>: for tables, test MSE of each column divided by that column's training variance, averaged over columns (0 perfect, 1 as good as predicting the training mean).</summary>
    public static readonly MetricKey TestMseStandardized = new("test_mse_standardized",
        "tables: test MSE of each column divided by that column's variance on the training split, averaged over columns (0 perfect, 1 as good as the training mean)");

    /// <summary>The figure for table data when the training split is at hand; nothing otherwise.</summary>
    public static IReadOnlyDictionary<string, double> Evaluate(Autoencoder model, Dataset test, EvaluationOptions options)
    {
        if (test.Shape.Kind != DataKind.Table || options.TrainingSplit is null || test.Count == 0) return new Dictionary<string, double>();
        var train = options.TrainingSplit.Value; // loaded (once) outside the scope below, which would dispose it
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var variance = train.Features.to(ScalarType.Float64).var(0, unbiased: false);     // [F]
        var squared = zeros(test.Shape.Width, dtype: ScalarType.Float64);
        foreach (var batch in Batched.WithLabels(model, test, options.BatchSize))
            squared += (model.Reconstruct(batch) - batch).to(ScalarType.Float64).square().sum([0]);        // [B, F] -> [F]
        // A constant column has nothing to explain: it counts with unit variance, as the standardiser treats it.
        var spread = where(variance > 1e-24, variance, ones_like(variance));
        double figure = (squared / test.Count / spread).mean().item<double>();
        return new Dictionary<string, double> { [TestMseStandardized.Name] = figure };
    }
}
