using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Evaluation;
using Latent.Evaluation.Disentanglement;
using Latent.Models;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>
/// The pictures of disentanglement: latent traversals (Higgins et al. 2017, fig. 1: one latent
/// dimension swept while the others stay put) and the factor-by-dimension importance matrix of DCI.
/// </summary>
public static class DisentanglementFigures
{
    /// <summary>Traversals are drawn for codes of at most this many dimensions (one row each).</summary>
    public const int MaxRows = 64;

    /// <summary>
    /// One row per latent dimension j: the code of the first test example with z_j replaced by
    /// <paramref name="steps"/> values from the 5 % to the 95 % quantile of z_j over the test codes (the
    /// range the encoder uses, for every family), decoded. False unless the data are images and
    /// 1 ≤ D ≤ <see cref="MaxRows"/>.
    /// </summary>
    public static bool SaveTraversals(string path, Autoencoder model, Dataset test, int steps = 10)
    {
        int dimensions = model.RepresentationSize;
        if (model is IDiscreteCodes || test.Shape.Kind != DataKind.Image || dimensions is < 1 or > MaxRows || test.Count < 2) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var codes = Batched.Encode(model, test.Take(2000));                                        // [N, D]
        if (codes.shape[1] != dimensions) return false;
        var levels = linspace(0.05, 0.95, steps, dtype: codes.dtype, device: codes.device);
        var sweeps = codes.t().quantile(levels, dim: 1).t();                                             // [D, steps]
        // Row j, column s: the first code with z_j = sweep[j, s]: [D, steps, D] -> [D·steps, D]
        var grid = codes[0].reshape(1, 1, dimensions).expand(dimensions, steps, dimensions).clone();
        for (int j = 0; j < dimensions; j++) grid.select(0, j).select(1, j).copy_(sweeps[j]);
        using var label = model.Condition is null ? null : LabelCondition.LabelsOf(test, 0, 1);          // a conditioned model decodes with the first example's label
        using var given = model.Given(label);
        ImageGrid.Save(path, model.Decode(grid.reshape(dimensions * steps, dimensions)), columns: steps, scale: 2);
        return true;
    }

    /// <summary>
    /// The DCI importance matrix of the run's last <c>latent eval --disentanglement</c> (disentanglement.json):
    /// one row per code dimension, one column per factor, each column summing to 1. False when the run has none.
    /// </summary>
    public static bool SaveImportance(string path, RunDirectory run)
    {
        var file = run.File(DisentanglementEvaluation.FileName);
        if (!File.Exists(file)) return false;
        JsonNode json;
        try { json = JsonNode.Parse(File.ReadAllText(file))!; }
        catch (System.Text.Json.JsonException) { return false; }
        var factors = json["factors"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToArray();
        var importance = json["dci_importance"]!.AsArray().Select(row => row!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray();
        var values = new double[importance.Length, factors.Length];
        for (int j = 0; j < importance.Length; j++)
            for (int k = 0; k < factors.Length; k++) values[j, k] = importance[j][k];
        var figures = json["figures"]!;
        string summary = string.Join(", ", new[] { ("MIG", "mig"), ("D", "dci_disentanglement"), ("C", "dci_completeness"), ("I", "dci_informativeness"), ("SAP", "sap") }
            .Select(pair => $"{pair.Item1} {figures[pair.Item2]!.GetValue<double>():F2}"));
        Plots.Heatmap(path, $"DCI importance ({summary})", "factor", "code dimension", values,
            factors, Enumerable.Range(0, importance.Length).Select(j => $"z{j}").ToArray());
        return true;
    }
}
