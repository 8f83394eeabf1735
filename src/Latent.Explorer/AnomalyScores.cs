using System.Globalization;

namespace Latent.Explorer;

/// <summary>One scored example.</summary>
/// <param name="Index">Its index in the split that was scored.</param>
/// <param name="Score">Its score: higher is more anomalous.</param>
public sealed record ScoredExample(int Index, double Score);

/// <summary>
/// The anomaly scores of a run: <c>DIR/scores.csv</c> as <c>latent score</c> writes it, a header and one
/// row per example, with an <c>index</c> column (else the row order is the index), an optional
/// <c>label</c> column and one column per score (reconstruction error, −ELBO, ...; higher is worse).
/// </summary>
public sealed class AnomalyScores
{
    /// <summary>The file's name in a run directory.</summary>
    public const string FileName = "scores.csv";

    static readonly string[] IndexColumns = ["index", "example", "i"];
    static readonly string[] IgnoredColumns = ["label", "labels", "class", "anomaly", "is_anomaly", "split"];

    readonly Dictionary<string, double[]> _scores;

    AnomalyScores(int[] indices, Dictionary<string, double[]> scores)
    {
        Indices = indices;
        _scores = scores;
    }

    /// <summary>The example index of each row.</summary>
    public int[] Indices { get; }

    /// <summary>The score columns, in file order.</summary>
    public IReadOnlyList<string> Columns => [.. _scores.Keys];

    /// <summary>The run's scores, or null with the reason when it has none that can be shown.</summary>
    public static (AnomalyScores? Scores, string? Reason) Read(string path, int testCount)
    {
        if (!File.Exists(path)) return (null, $"the run has no {FileName}; 'latent score --run DIR --data SPEC --out DIR/{FileName}' writes one");
        string[] lines;
        try { lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToArray(); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return (null, $"{path} cannot be read ({error.Message})"); }
        if (lines.Length < 2) return (null, $"{path} holds no scores");
        var header = lines[0].Split(',').Select(name => name.Trim().Trim('"')).ToArray();
        int indexColumn = Array.FindIndex(header, name => IndexColumns.Contains(name, StringComparer.OrdinalIgnoreCase));
        var scoreColumns = Enumerable.Range(0, header.Length)
            .Where(c => c != indexColumn && !IgnoredColumns.Contains(header[c], StringComparer.OrdinalIgnoreCase)).ToArray();
        var indices = new int[lines.Length - 1];
        var values = scoreColumns.ToDictionary(c => c, _ => new double[lines.Length - 1]);
        for (int row = 1; row < lines.Length; row++)
        {
            var cells = lines[row].Split(',');
            if (cells.Length != header.Length) return (null, $"{path} line {row + 1} has {cells.Length} cells where the header has {header.Length}");
            if (indexColumn < 0) indices[row - 1] = row - 1;
            else if (!int.TryParse(cells[indexColumn], NumberStyles.Integer, CultureInfo.InvariantCulture, out indices[row - 1]) || indices[row - 1] < 0)
                return (null, $"{path} line {row + 1}: '{cells[indexColumn]}' is not an example index");
            foreach (int c in scoreColumns)
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out values[c][row - 1]))
                    values[c][row - 1] = double.NaN;
        }
        // Keep the columns that hold numbers.
        var scores = scoreColumns.Where(c => values[c].Any(double.IsFinite)).ToDictionary(c => header[c], c => values[c]);
        if (scores.Count == 0) return (null, $"{path} has no numeric score column");
        if (indices.Max() >= testCount)
            return (null, $"{path} scores example {indices.Max()} but the test split has {testCount}; it was scored on other data (pass the same --data to 'latent explore')");
        return (new AnomalyScores(indices, scores), null);
    }

    /// <summary>The <paramref name="count"/> highest-scored examples by <paramref name="column"/> (the first score column by default).</summary>
    public IReadOnlyList<ScoredExample> Worst(int count, string? column)
    {
        column ??= Columns[0];
        if (!_scores.TryGetValue(column, out var values))
            throw new UserInputException($"scores.csv has no column '{column}'; pick one of: {string.Join(", ", Columns)}");
        return Enumerable.Range(0, values.Length).Where(row => double.IsFinite(values[row]))
            .OrderByDescending(row => values[row]).Take(count)
            .Select(row => new ScoredExample(Indices[row], values[row])).ToList();
    }
}
