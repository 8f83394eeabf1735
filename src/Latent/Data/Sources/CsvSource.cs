using System.Globalization;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// Numeric tables: one example per row, comma-separated, an optional header row, and optionally one
/// label column (integer classes, or text classes mapped to sorted ids). Every other cell must be a
/// finite number. Values are used as they are; models that need a scale standardise internally.
/// </summary>
public static class CsvSource
{
    public static Dataset Load(string path, string? labelColumn)
    {
        if (!File.Exists(path))
            throw new UserInputException($"CSV file '{path}' does not exist; pass csv:FILE with a comma-separated table of numbers");

        var lines = File.ReadLines(path).Select((text, index) => (text, number: index + 1))
                        .Where(line => line.text.Trim().Length > 0).ToList();
        if (lines.Count == 0) throw new UserInputException($"'{path}' is empty; pass a CSV file with at least one row of numbers");

        var first = Cells(lines[0].text);
        bool hasHeader = first.Any(cell => !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        string[] header = hasHeader ? first : Enumerable.Range(0, first.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var rows = hasHeader ? lines.Skip(1).ToList() : lines;
        if (rows.Count == 0) throw new UserInputException($"'{path}' has a header but no rows; add rows of numbers");

        int labelIndex = labelColumn is null ? -1 : LabelIndex(header, labelColumn, path);
        int featureCount = header.Length - (labelIndex >= 0 ? 1 : 0);
        if (featureCount == 0) throw new UserInputException($"'{path}' has no feature columns besides the label; add numeric columns");

        var values = new float[rows.Count * featureCount];
        var labelText = new string[labelIndex >= 0 ? rows.Count : 0];
        for (int r = 0; r < rows.Count; r++)
        {
            var cells = Cells(rows[r].text);
            if (cells.Length != header.Length)
                throw new UserInputException(
                    $"'{path}' line {rows[r].number} has {cells.Length} cells where the first row has {header.Length}; make every row the same width");
            for (int c = 0, f = 0; c < cells.Length; c++)
            {
                if (c == labelIndex) { labelText[r] = cells[c]; continue; }
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value)
                    || Math.Abs(value) > float.MaxValue)
                    throw new UserInputException(
                        $"'{path}' line {rows[r].number}, column '{header[c]}': '{cells[c]}' is not a finite number; fix or drop that row (missing values are not supported)");
                values[r * featureCount + f++] = (float)value;
            }
        }

        var (labels, labelNames) = labelIndex >= 0 ? Labels(labelText) : (null, null);
        return new Dataset(tensor(values, [rows.Count, featureCount]), DataShape.Table(featureCount), labels, labelNames);
    }

    static string[] Cells(string line) => line.Split(',').Select(cell => cell.Trim().Trim('"')).ToArray();

    static int LabelIndex(string[] header, string labelColumn, string path)
    {
        int byName = Array.IndexOf(header, labelColumn);
        if (byName >= 0) return byName;
        if (int.TryParse(labelColumn, CultureInfo.InvariantCulture, out int index) && index >= 0 && index < header.Length) return index;
        throw new UserInputException(
            $"'{path}' has no column '{labelColumn}'; pass --label-column with one of: {string.Join(", ", header.Take(12))}");
    }

    /// <summary>Integer labels as they are when all are small non-negative integers, else sorted names.</summary>
    static (int[], IReadOnlyList<string>?) Labels(string[] text)
    {
        if (text.All(t => int.TryParse(t, CultureInfo.InvariantCulture, out int v) && v is >= 0 and < 100_000))
            return (text.Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray(), null);
        var names = text.Distinct().Order(StringComparer.Ordinal).ToArray();
        var ids = names.Select((name, id) => (name, id)).ToDictionary(pair => pair.name, pair => pair.id);
        return (text.Select(t => ids[t]).ToArray(), names);
    }
}
