using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Latent.Runs;

/// <summary><c>metrics.jsonl</c>: one JSON object per epoch (epoch, step, train and validation terms, lr, seconds).</summary>
internal static class MetricsLog
{
    public static void Append(string path, int epoch, long step, IReadOnlyDictionary<string, double> values)
    {
        var line = new JsonObject { ["epoch"] = epoch, ["step"] = step };
        foreach (var (key, value) in values) line[key] = double.IsFinite(value) ? value : null;
        try
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(Encoding.UTF8.GetBytes(line.ToJsonString() + "\n"));
            stream.Flush(flushToDisk: true);
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw new UserInputException($"cannot append to '{path}' ({UserPaths.Reason(error)}); make room or make it writable, then {LibraryNames.Resume}", LibraryNames.Resume);
        }
    }

    /// <summary>
    /// All complete lines as (key → value) rows, in file order. A line that is not a JSON object with
    /// a numeric <c>epoch</c> (a torn last line after a crash mid-write, or an edit) is skipped.
    /// </summary>
    public static List<Dictionary<string, double>> Read(string path)
    {
        var rows = new List<Dictionary<string, double>>();
        if (!File.Exists(path)) return rows;
        try
        {
            foreach (var text in File.ReadLines(path))
            {
                if (string.IsNullOrWhiteSpace(text)) continue;
                try
                {
                    if (JsonNode.Parse(text) is not JsonObject json) continue;
                    var row = new Dictionary<string, double>();
                    foreach (var (key, node) in json)
                        row[key] = node is JsonValue value && value.TryGetValue(out double number) ? number : double.NaN;
                    if (row.TryGetValue("epoch", out var epoch) && double.IsFinite(epoch)) rows.Add(row);
                }
                catch (JsonException) { }
            }
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, "check the file, or wait for the process that holds it");
        }
        return rows;
    }

    /// <summary>Keeps only the lines of epochs ≤ <paramref name="epochsDone"/>: what a resumed run has not yet redone.</summary>
    public static void TruncateAfter(string path, int epochsDone)
    {
        if (!File.Exists(path)) return;
        var kept = Read(path).Where(row => row.TryGetValue("epoch", out var epoch) && epoch <= epochsDone)
            .Select(row => new JsonObject(row.Select(pair => KeyValuePair.Create(pair.Key,
                pair.Key is "epoch" or "step" ? JsonValue.Create((long)pair.Value) : (JsonNode?)(double.IsFinite(pair.Value) ? JsonValue.Create(pair.Value) : null)))).ToJsonString());
        AtomicFile.WriteAllText(path, string.Concat(kept.Select(line => line + "\n")));
    }

    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
