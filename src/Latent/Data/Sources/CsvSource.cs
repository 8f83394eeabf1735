using System.Globalization;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>Whether the first row of a CSV file names its columns (<c>--header</c>).</summary>
public enum CsvHeader
{
    /// <summary>
    /// Decided from the file: the first row is a header when it has a cell that is not a number in a
    /// column whose other cells all are, or when none of its cells is a number.
    /// </summary>
    Auto,
    /// <summary>The first row is a header.</summary>
    Yes,
    /// <summary>The first row is data; columns are named by their 0-based index.</summary>
    No,
}

/// <summary>
/// Numeric tables: one example per row, comma-separated (quoted fields may hold commas, quotes and
/// line breaks), an optional header row (<see cref="CsvHeader"/>), and optionally one label column
/// (integer classes, or text classes mapped to sorted ids). Every other cell must be a finite number.
/// Values are used as they are; models that need a scale standardise internally.
/// </summary>
public static class CsvSource
{
    const string Fix = "pass csv:FILE with a comma-separated table of numbers";

    /// <summary>Reads a CSV file of numbers into [N, F] table rows, with labels when <paramref name="labelColumn"/> names a column (by header name or 0-based index); a malformed file is a one-line <see cref="UserInputException"/> naming its line.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="labelColumn">The label column, or null for none.</param>
    /// <param name="header">Whether the first row is a header (<see cref="CsvHeader.Auto"/> decides from its cells).</param>
    public static Dataset Load(string path, string? labelColumn, CsvHeader header = CsvHeader.Auto)
    {
        UserPaths.RequireFile(path, "CSV file", Fix);
        var scan = Scan(path);
        bool hasHeader = header switch
        {
            CsvHeader.Yes => true,
            CsvHeader.No => false,
            _ => scan.LooksLikeHeader,
        };
        int rowCount = hasHeader ? scan.Rows - 1 : scan.Rows;
        if (rowCount == 0)
            throw new UserInputException(hasHeader
                ? $"'{path}' has a header but no rows; add rows of numbers{(header == CsvHeader.Auto ? $" (or pass {nameof(DataOptions.Header)} no if its first row is data)" : "")}"
                : $"'{path}' is empty; pass a CSV file with at least one row of numbers", nameof(DataOptions.Header));
        string[] names = hasHeader ? scan.First : Enumerable.Range(0, scan.First.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

        int labelIndex = labelColumn is null ? -1 : LabelIndex(names, hasHeader, header, labelColumn, path);
        int featureCount = names.Length - (labelIndex >= 0 ? 1 : 0);
        if (featureCount == 0) throw new UserInputException($"'{path}' has no feature columns besides the label; add numeric columns");

        var values = new float[(long)rowCount * featureCount];
        var labelText = new string[labelIndex >= 0 ? rowCount : 0];
        int r = hasHeader ? -1 : 0;
        CsvFile.ForEachRow(path, Fix, (row, line) =>
        {
            if (r < 0) { r = 0; return; } // the header
            if (r >= rowCount || row.ColCount != names.Length)
                throw new UserInputException($"'{path}' changed while it was read (at line {line}); pass it again once it is complete");
            for (int c = 0, f = 0; c < names.Length; c++)
            {
                var cell = row[c].Span;
                if (c == labelIndex) { labelText[r] = CsvFile.Text(row[c]); continue; }
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value)
                    || Math.Abs(value) > float.MaxValue)
                    throw new UserInputException(
                        $"'{path}' line {line}, column '{Shorten(names[c])}': '{Shorten(CsvFile.Text(row[c]))}' is not a finite number; fix or drop that row (missing values are not supported)");
                values[(long)r * featureCount + f++] = (float)value;
            }
            r++;
        });

        var (labels, labelNames) = labelIndex >= 0 ? Labels(labelText) : (null, null);
        return new Dataset(tensor(values, [rowCount, featureCount]), DataShape.Table(featureCount), labels, labelNames);
    }

    /// <summary>What one pass over the file tells: its first row, how many rows it has, and whether the first row looks like a header.</summary>
    sealed record Survey(string[] First, int Rows, bool LooksLikeHeader);

    /// <summary>
    /// Reads the file once: checks that every row is as wide as the first (a ragged row names its
    /// line) and, for each column whose first cell is not a number, whether all its other cells are.
    /// </summary>
    static Survey Scan(string path)
    {
        string[]? first = null;
        bool[] firstIsText = [], othersAreNumbers = [];
        int rows = 0;
        CsvFile.ForEachRow(path, Fix, (row, line) =>
        {
            if (first is null)
            {
                first = new string[row.ColCount];
                for (int c = 0; c < first.Length; c++) first[c] = CsvFile.Text(row[c]);
                firstIsText = first.Select(cell => !IsNumber(cell)).ToArray();
                othersAreNumbers = first.Select(_ => true).ToArray();
            }
            else
            {
                if (row.ColCount != first.Length)
                    throw new UserInputException(
                        $"'{path}' line {line} has {row.ColCount} fields where the first row has {first.Length}; make every row the same width (quote a field that holds a comma)");
                for (int c = 0; c < first.Length; c++)
                    if (firstIsText[c] && othersAreNumbers[c] && !IsNumber(row[c].Span)) othersAreNumbers[c] = false;
            }
            rows++;
        });
        if (first is null) throw new UserInputException($"'{path}' is empty; pass a CSV file with at least one row of numbers");
        bool looksLikeHeader = firstIsText.All(text => text) || firstIsText.Where((text, c) => text && othersAreNumbers[c]).Any();
        return new Survey(first, rows, looksLikeHeader);
    }

    static bool IsNumber(ReadOnlySpan<char> cell) => double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    static int LabelIndex(string[] names, bool hasHeader, CsvHeader header, string labelColumn, string path)
    {
        if (hasHeader && Array.IndexOf(names, labelColumn) is int byName and >= 0) return byName;
        if (int.TryParse(labelColumn, CultureInfo.InvariantCulture, out int index) && index >= 0 && index < names.Length) return index;
        if (!hasHeader)
            throw new UserInputException(header == CsvHeader.Auto
                ? $"'{path}' has no header row (its first row reads as data), so it has no column '{Shorten(labelColumn)}'; pass {nameof(DataOptions.LabelColumn)} with a 0-based index below {names.Length}, or {nameof(DataOptions.Header)} yes"
                : $"'{path}' is read without a header, so it has no column '{Shorten(labelColumn)}'; pass {nameof(DataOptions.LabelColumn)} with a 0-based index below {names.Length}", nameof(DataOptions.LabelColumn), nameof(DataOptions.Header));
        throw new UserInputException(
            $"'{path}' has no column '{labelColumn}'; pass {nameof(DataOptions.LabelColumn)} with one of: {string.Join(", ", names.Take(12).Select(Shorten))}", nameof(DataOptions.LabelColumn));
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

    /// <summary>A cell as a message may quote it: one line, at most 40 characters.</summary>
    static string Shorten(string cell)
    {
        var flat = cell.ReplaceLineEndings(" ");
        return flat.Length <= 40 ? flat : flat[..40] + "…";
    }
}
