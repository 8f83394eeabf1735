using System.Globalization;
using System.Text;
using Latent.Data.Sources;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// Latent codes as CSV: a header <c>z0,z1,…</c> (and <c>label</c> when known), one row per example,
/// written with round-trip precision so that decoding a file gives back exactly the same outputs.
/// </summary>
public static class LatentCsv
{
    /// <summary>Writes codes [N, D] as a CSV file with columns <c>z0 … z{D−1}</c>, and a <c>label</c> column when <paramref name="labels"/> are given (what encoding a run writes).</summary>
    public static void Write(string path, Tensor codes, int[]? labels)
    {
        using var cpu = codes.detach().cpu().to(ScalarType.Float32).contiguous();
        int count = (int)cpu.shape[0], dimension = (int)cpu.shape[1];
        var values = cpu.data<float>().ToArray();
        var text = new StringBuilder();
        text.AppendJoin(',', Enumerable.Range(0, dimension).Select(i => $"z{i}"));
        if (labels is not null) text.Append(",label");
        text.Append('\n');
        for (int n = 0; n < count; n++)
        {
            for (int d = 0; d < dimension; d++)
            {
                if (d > 0) text.Append(',');
                text.Append(values[n * dimension + d].ToString("R", CultureInfo.InvariantCulture));
            }
            if (labels is not null) text.Append(',').Append(labels[n].ToString(CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>
    /// Reads the <c>z…</c> columns as [N, D]; other columns (a label) are ignored. The file is parsed
    /// as CSV (quoted fields, CRLF, a byte-order mark and blank lines are fine); a malformed one is a
    /// one-line <see cref="UserInputException"/> that names its line.
    /// </summary>
    public static Tensor Read(string path, int dimension)
    {
        const string fix = "write one by encoding with the run (LatentCsv.Write)";
        UserPaths.RequireFile(path, "latent file", fix);
        string[]? header = null;
        int[] columns = [];
        var values = new List<float>();
        CsvFile.ForEachRow(path, fix, (row, line) =>
        {
            if (header is null)
            {
                header = new string[row.ColCount];
                for (int c = 0; c < header.Length; c++) header[c] = CsvFile.Text(row[c]);
                columns = Enumerable.Range(0, dimension).Select(d => Array.IndexOf(header, $"z{d}")).ToArray();
                if (columns.Any(column => column < 0))
                    throw new UserInputException($"'{path}' needs columns z0…z{dimension - 1} for this model's {dimension}-dimensional latent space; encode with the same run");
                return;
            }
            if (row.ColCount != header.Length)
                throw new UserInputException($"'{path}' line {line} has {row.ColCount} fields where its header has {header.Length}; fix the file or encode again");
            for (int d = 0; d < dimension; d++)
            {
                var cell = row[columns[d]].Span;
                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                    throw new UserInputException($"'{path}' line {line}, column z{d}: '{Shorten(cell)}' is not a finite number; fix the file or encode again");
                values.Add(value);
            }
        });
        if (values.Count == 0) throw new UserInputException($"'{path}' has no rows of latent codes; {fix}");
        return tensor(values.ToArray(), [values.Count / dimension, dimension]);
    }

    /// <summary>The <c>label</c> column that <see cref="Write"/> adds when the labels are known, one whole number per row; null when the file has none.</summary>
    public static int[]? ReadLabels(string path)
    {
        const string fix = "write one with 'latent encode --out FILE.csv'";
        UserPaths.RequireFile(path, "latent file", fix);
        int column = -2;
        var labels = new List<int>();
        CsvFile.ForEachRow(path, fix, (row, line) =>
        {
            if (column == -2)
            {
                column = -1;
                for (int c = 0; c < row.ColCount; c++)
                    if (CsvFile.Text(row[c]) == "label") column = c;
                return;
            }
            if (column < 0 || column >= row.ColCount) return;
            var cell = row[column].Span;
            if (!int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out int label) || label < 0)
                throw new UserInputException($"'{path}' line {line}, column label: '{Shorten(cell)}' is not a label (a whole number from 0); fix the file or encode again");
            labels.Add(label);
        });
        return column < 0 ? null : [.. labels];
    }

    /// <summary>A cell as a message may quote it: one line, at most 40 characters.</summary>
    static string Shorten(ReadOnlySpan<char> cell)
    {
        var flat = cell.Trim().ToString().ReplaceLineEndings(" ");
        return flat.Length <= 40 ? flat : flat[..40] + "…";
    }
}
