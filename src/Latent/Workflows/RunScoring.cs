using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Evaluation;
using Latent.Runs;

namespace Latent.Workflows;

/// <summary>What <c>latent score</c> did: the scores, their thresholds and where they went.</summary>
public sealed record ScoringResult(IReadOnlyList<ScoreColumn> Scores, AnomalyThresholds Thresholds, string CsvPath, string ThresholdsPath);

/// <summary>
/// <c>latent score</c>: one anomaly score per example of a split (<see cref="AnomalyScores"/>), with each score's
/// threshold calibrated on the run's own validation split at a false-positive rate. Everything is loaded and
/// checked (the data's shape against the run's, the options) before anything is written.
/// </summary>
public static class RunScoring
{
    /// <summary>Scores <paramref name="split"/> of <paramref name="data"/> and writes <paramref name="csvPath"/> and its thresholds file.</summary>
    /// <param name="run">The run whose selected model scores.</param>
    /// <param name="data">The data to score: the run's own options, possibly with another spec of the same shape.</param>
    /// <param name="split">The split of <paramref name="data"/> to score.</param>
    /// <param name="options">The false-positive rate, IWAE samples and batch size.</param>
    /// <param name="csvPath">Where the CSV goes (FILE.csv); the thresholds go beside it.</param>
    public static ScoringResult Score(RunDirectory run, DataOptions data, DataSplit split, AnomalyScoreOptions options, string csvPath)
    {
        options.Validate();
        if (!csvPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new UserInputException($"{nameof(csvPath)} '{csvPath}' is not a .csv file; pass {nameof(csvPath)} FILE.csv (the thresholds go beside it, in FILE.thresholds.json)", nameof(csvPath));
        var manifest = run.ReadManifest();
        var scored = RunData.Load(manifest, data, split);
        // The thresholds come from the data the run was selected on, whatever is scored.
        var validation = RunData.Load(manifest, manifest.Data, DataSplit.Validation);
        using var model = run.LoadModel(manifest);
        var thresholds = AnomalyThresholds.Calibrate(AnomalyScores.Compute(model, validation, options), options.Fpr);
        var scores = AnomalyScores.Compute(model, scored, options);

        var description = new JsonObject
        {
            ["run"] = run.Path,
            ["data"] = data.Data,
            ["split"] = split.ToString().ToLowerInvariant(),
            ["examples"] = scored.Count,
            ["classes"] = manifest.Data.Classes,
            ["iwae_samples"] = options.IwaeSamples > 0 ? options.IwaeSamples : null,
        };
        var csvFull = Path.GetFullPath(csvPath);
        bool insideRun = Path.GetDirectoryName(csvFull) == Path.GetFullPath(run.Path);
        using (insideRun ? RunLock.Acquire(run.Path, "latent score") : null)
            ScoresFile.Write(csvFull, scores, scored.Labels, thresholds, description);
        return new ScoringResult(scores, thresholds, csvFull, ScoresFile.ThresholdsPath(csvFull));
    }
}
