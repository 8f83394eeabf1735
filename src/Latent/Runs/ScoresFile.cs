using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Latent.Evaluation;

namespace Latent.Runs;

/// <summary>
/// What <c>latent score</c> writes: <c>FILE.csv</c> with a header and one row per example — <c>index</c> (its
/// position in the scored split), <c>label</c> when the data has labels, one column per score (higher is more
/// anomalous), then <c>anomalous_SCORE</c> (1 above the score's calibrated threshold, else 0) — and beside it
/// <c>FILE.thresholds.json</c> with the thresholds, the false-positive rate and the data they were calibrated on.
/// Both are written atomically. The explorer reads the CSV (<c>DIR/scores.csv</c>).
/// </summary>
public static class ScoresFile
{
    /// <summary>The prefix of the 0/1 columns that apply a score's threshold.</summary>
    public const string AnomalousPrefix = "anomalous_";

    /// <summary>The thresholds file beside <paramref name="csvPath"/>: <c>scores.csv</c> → <c>scores.thresholds.json</c>.</summary>
    public static string ThresholdsPath(string csvPath) => Path.ChangeExtension(csvPath, ".thresholds.json");

    /// <summary>Writes the CSV of <paramref name="scores"/> (one row per example) and its thresholds file.</summary>
    /// <param name="csvPath">The CSV to write.</param>
    /// <param name="scores">Every score of every example, in the split's order.</param>
    /// <param name="labels">The label of each example, or null.</param>
    /// <param name="thresholds">Each score's threshold, calibrated on the run's validation split.</param>
    /// <param name="description">What was scored and how, recorded in the thresholds file (data, split, run, ...).</param>
    public static void Write(string csvPath, IReadOnlyList<ScoreColumn> scores, int[]? labels, AnomalyThresholds thresholds, JsonObject description)
    {
        int count = scores.Count == 0 ? 0 : scores[0].Values.Length;
        if (scores.Any(column => column.Values.Length != count) || labels is not null && labels.Length != count)
            throw new ArgumentException("every column needs one value per example", nameof(scores));
        var text = new StringBuilder();
        text.Append("index");
        if (labels is not null) text.Append(",label");
        foreach (var column in scores) text.Append(',').Append(column.Name);
        foreach (var column in scores) text.Append(',').Append(AnomalousPrefix).Append(column.Name);
        text.Append('\n');
        for (int i = 0; i < count; i++)
        {
            text.Append(i.ToString(CultureInfo.InvariantCulture));
            if (labels is not null) text.Append(',').Append(labels[i].ToString(CultureInfo.InvariantCulture));
            foreach (var column in scores) text.Append(',').Append(column.Values[i].ToString("R", CultureInfo.InvariantCulture));
            foreach (var column in scores) text.Append(column.Values[i] > thresholds.Thresholds[column.Name] ? ",1" : ",0");
            text.Append('\n');
        }

        var json = new JsonObject
        {
            ["fpr"] = thresholds.Fpr,
            ["calibrated_on"] = "validation",
            ["calibration_examples"] = thresholds.CalibrationExamples,
            ["thresholds"] = new JsonObject(scores.Select(column => KeyValuePair.Create(column.Name, (JsonNode?)thresholds.Thresholds[column.Name]))),
            ["scores"] = new JsonObject(scores.Select(column => KeyValuePair.Create(column.Name, (JsonNode?)column.Meaning))),
            ["rule"] = $"an example is anomalous under a score when the score is above its threshold, the (1 − fpr)-quantile of that score on the run's validation split",
        };
        foreach (var (key, value) in description) json[key] = value?.DeepClone();
        AtomicFile.WriteAllText(ThresholdsPath(csvPath), json.ToJsonString(Json.Options));
        AtomicFile.WriteAllText(csvPath, text.ToString());
    }
}
