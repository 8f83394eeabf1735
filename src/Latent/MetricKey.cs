using System.Reflection;
using System.Text.RegularExpressions;

namespace Latent;

/// <summary>What a declared key names.</summary>
public enum MetricKind
{
    /// <summary>A figure written under its own name (to eval.json, metrics.jsonl or fit.json).</summary>
    Figure,
    /// <summary>A named term of a training objective; the trainer logs it as <c>train_NAME</c> and <c>val_NAME</c>.</summary>
    LossTerm,
}

/// <summary>
/// A key that Latent writes into <c>metrics.jsonl</c>, <c>eval.json</c> or <c>fit.json</c>, declared once as a
/// static field next to the code that emits it, with a one-line meaning. A name may hold one placeholder:
/// <c>{j}</c> for a family of keys indexed by a whole number (<c>kl_dim_{j}</c>), or <c>{term}</c> for one
/// key per declared loss term (<c>train_{term}</c>). A test fails when a run writes an undeclared key.
/// </summary>
public sealed partial record MetricKey
{
    /// <summary>Declares a figure.</summary>
    public MetricKey(string name, string meaning, MetricKind kind = MetricKind.Figure)
    {
        if (!NamePattern().IsMatch(name)) throw new ArgumentException($"'{name}' is not a lower-case key with at most one {{j}} or {{term}} placeholder", nameof(name));
        if (string.IsNullOrWhiteSpace(meaning)) throw new ArgumentException($"key '{name}' needs a meaning", nameof(meaning));
        (Name, Meaning, Kind) = (name, meaning, kind);
    }

    /// <summary>Declares a term of a training objective.</summary>
    public static MetricKey Term(string name, string meaning) => new(name, meaning, MetricKind.LossTerm);

    /// <summary>The key as written, with its placeholder if it has one.</summary>
    public string Name { get; }

    /// <summary>What the value means, in one line (shown by reports and help).</summary>
    public string Meaning { get; }

    /// <summary>Which kind of value the key holds (a loss term, a figure, a family of keys), which decides where reports show it.</summary>
    public MetricKind Kind { get; }

    /// <summary>The key of index <paramref name="index"/> of a <c>{j}</c> family: <c>kl_dim_{j}</c> → <c>kl_dim_3</c>.</summary>
    public string For(int index) => Name.Contains("{j}", StringComparison.Ordinal)
        ? Name.Replace("{j}", index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        : throw new InvalidOperationException($"'{Name}' has no {{j}} placeholder");

    /// <summary>The key of a loss term in a <c>{term}</c> family: <c>train_{term}</c> → <c>train_recon</c>.</summary>
    public string For(MetricKey term) => Name.Contains("{term}", StringComparison.Ordinal) && term.Kind == MetricKind.LossTerm
        ? Name.Replace("{term}", term.Name, StringComparison.Ordinal)
        : throw new InvalidOperationException($"'{Name}' has no {{term}} placeholder or '{term.Name}' is not a loss term");

    /// <summary>Whether <paramref name="key"/> is this key (or one of its family).</summary>
    public bool Matches(string key)
    {
        if (!Name.Contains('{')) return key == Name;
        int open = Name.IndexOf('{'), close = Name.IndexOf('}');
        string prefix = Name[..open], suffix = Name[(close + 1)..], placeholder = Name[(open + 1)..close];
        if (key.Length <= prefix.Length + suffix.Length || !key.StartsWith(prefix, StringComparison.Ordinal) || !key.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        var middle = key[prefix.Length..^suffix.Length];
        return placeholder == "j"
            ? middle.All(char.IsAsciiDigit)
            : MetricKeys.All.Any(term => term.Kind == MetricKind.LossTerm && term.Name == middle);
    }

    /// <summary>The key as it is written in metrics.jsonl and eval.json (<see cref="Name"/>).</summary>
    public override string ToString() => Name;

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\{(j|term)\\}[a-z0-9_]*)?$")]
    private static partial Regex NamePattern();
}

/// <summary>
/// Every <see cref="MetricKey"/> declared in Latent, found once by reflection over its static fields: each
/// field of type <see cref="MetricKey"/>, and each of type <c>IReadOnlyList&lt;MetricKey&gt;</c> (a family's keys declared as one table).
/// </summary>
public static class MetricKeys
{
    static readonly Lazy<IReadOnlyList<MetricKey>> Declared = new(() =>
        typeof(MetricKey).Assembly.GetTypes()
            .SelectMany(type => type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(field => field.FieldType == typeof(MetricKey) ? [(MetricKey)field.GetValue(null)!]
                : field.FieldType == typeof(IReadOnlyList<MetricKey>) ? (IReadOnlyList<MetricKey>)field.GetValue(null)! : [])
            .DistinctBy(key => (key.Name, key.Kind))
            .ToList());

    /// <summary>All declarations.</summary>
    public static IReadOnlyList<MetricKey> All => Declared.Value;

    /// <summary>The declaration that <paramref name="key"/> belongs to, or null when it is undeclared.</summary>
    public static MetricKey? Find(string key) =>
        All.FirstOrDefault(declared => declared.Kind == MetricKind.Figure && declared.Name == key)
        ?? All.FirstOrDefault(declared => declared.Kind == MetricKind.Figure && declared.Matches(key));

    /// <summary>The meaning of <paramref name="key"/>, or "" when it is undeclared.</summary>
    public static string Describe(string key) => Find(key)?.Meaning ?? "";
}
