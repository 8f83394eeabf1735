using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// Latent codes as CSV: a header <c>z0,z1,…</c> (and <c>label</c> when known), one row per example,
/// written with round-trip precision so that decoding a file gives back exactly the same outputs.
/// </summary>
public static class LatentCsv
{
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

    /// <summary>Reads the <c>z…</c> columns as [N, D]; other columns (a label) are ignored.</summary>
    public static Tensor Read(string path, int dimension)
    {
        if (!File.Exists(path)) throw new UserInputException($"latent file '{path}' does not exist; write one with 'latent encode --out FILE.csv'");
        var lines = File.ReadLines(path).Where(line => line.Trim().Length > 0).ToList();
        if (lines.Count < 2) throw new UserInputException($"'{path}' has no rows of latent codes; write one with 'latent encode'");
        var header = lines[0].Split(',').Select(cell => cell.Trim()).ToArray();
        var columns = Enumerable.Range(0, dimension).Select(d => Array.IndexOf(header, $"z{d}")).ToArray();
        if (columns.Any(column => column < 0))
            throw new UserInputException($"'{path}' needs columns z0…z{dimension - 1} for this model's {dimension}-dimensional latent space; encode with the same run");
        var values = new float[(lines.Count - 1) * dimension];
        for (int row = 1; row < lines.Count; row++)
        {
            var cells = lines[row].Split(',');
            for (int d = 0; d < dimension; d++)
            {
                var cell = columns[d] < cells.Length ? cells[columns[d]].Trim() : "";
                if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
                    throw new UserInputException($"'{path}' line {row + 1}, column z{d}: '{cell}' is not a finite number; fix the file or encode again");
                values[(row - 1) * dimension + d] = value;
            }
        }
        return tensor(values, [lines.Count - 1, dimension]);
    }
}
