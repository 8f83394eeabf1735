// Training on a subset of labels (--classes): the one-class and few-class protocol of anomaly detection
// (e.g. Ruff et al. 2018, Deep SVDD, §4.1: train on one class, every other class is an anomaly).

namespace Latent.Data;

/// <summary>
/// <c>--classes 0,3</c> (or <c>--classes sandal,bag</c> where the data names its labels): the labels a run
/// keeps in its training and validation splits. The test split keeps every label, so that <c>latent eval
/// --anomaly</c> can treat the others as anomalies.
/// </summary>
public static class ClassSelection
{
    /// <summary>The entries of a <c>--classes</c> value, checked for form only (not yet against the data).</summary>
    public static string[] Entries(string classes)
    {
        var entries = classes.Split(',', StringSplitOptions.TrimEntries);
        if (entries.Any(entry => entry.Length == 0))
            throw new UserInputException($"{nameof(DataOptions.Classes)} '{classes}' has an empty entry; pass labels separated by commas, e.g. {nameof(DataOptions.Classes)} 0,3", nameof(DataOptions.Classes));
        var repeated = entries.GroupBy(entry => entry, StringComparer.OrdinalIgnoreCase).FirstOrDefault(group => group.Count() > 1);
        if (repeated is not null)
            throw new UserInputException($"{nameof(DataOptions.Classes)} '{classes}' names '{repeated.Key}' twice; name each label once", nameof(DataOptions.Classes));
        return entries;
    }

    /// <summary>
    /// The label ids that <paramref name="classes"/> names, in ascending order: each entry is an id in
    /// [0, classCount) or, where the data has names, a label name (case-insensitive).
    /// </summary>
    /// <param name="classes">The <c>--classes</c> value.</param>
    /// <param name="classCount">How many labels the data has.</param>
    /// <param name="labelNames">The name of each label, or null when the data has none.</param>
    /// <param name="data">The data spec, for messages.</param>
    public static int[] Resolve(string classes, int classCount, IReadOnlyList<string>? labelNames, string data)
    {
        var ids = new SortedSet<int>();
        foreach (var entry in Entries(classes))
        {
            int id = int.TryParse(entry, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int number)
                ? number
                : labelNames is null ? -1 : IndexOf(labelNames, entry);
            if (id < 0 || id >= classCount)
                throw new UserInputException($"{nameof(DataOptions.Classes)}: '{entry}' is not a label of {data}, which has {Describe(classCount, labelNames)}; pass some of those", nameof(DataOptions.Classes));
            if (!ids.Add(id))
                throw new UserInputException($"{nameof(DataOptions.Classes)} '{classes}' names label {id} twice; name each label once", nameof(DataOptions.Classes));
        }
        return [.. ids];
    }

    /// <summary>The examples of <paramref name="data"/> whose label is one of <paramref name="classes"/>.</summary>
    public static Dataset Keep(Dataset data, IReadOnlyCollection<int> classes)
    {
        var labels = data.Labels ?? throw new ArgumentException("the data has no labels to select by", nameof(data));
        var kept = Enumerable.Range(0, data.Count).Where(i => classes.Contains(labels[i])).ToArray();
        return data.Subset(kept);
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    static string Describe(int classCount, IReadOnlyList<string>? labelNames)
    {
        if (classCount == 0) return "no labels";
        string ids = classCount == 1 ? "the label 0" : $"labels 0 to {classCount - 1}";
        if (labelNames is null || labelNames.Count == 0) return ids;
        var shown = labelNames.Take(12).ToList();
        return $"{ids} ({string.Join(", ", shown)}{(labelNames.Count > shown.Count ? ", …" : "")})";
    }
}
