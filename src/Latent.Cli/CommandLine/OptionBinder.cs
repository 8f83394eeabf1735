using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Latent.Cli.CommandLine;

/// <summary>
/// Binds command-line options to the library's option records by name: a property <c>LatentDim</c>
/// is the option <c>--latent-dim</c>, its <see cref="DescriptionAttribute"/> is its help line and its
/// initial value is its default. The records stay the single description of every option.
/// </summary>
public static class OptionBinder
{
    /// <summary>Options of a record type: (option name, property, description).</summary>
    public static IEnumerable<(string Name, PropertyInfo Property, string Description)> Options(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(property => (property, description: property.GetCustomAttribute<DescriptionAttribute>()?.Description))
            .Where(entry => entry.description is not null && entry.property.CanWrite)
            .Select(entry => (KebabCase(entry.property.Name), entry.property, entry.description!));

    /// <summary>A copy of <paramref name="defaults"/> with every option given on the command line applied.</summary>
    public static T Bind<T>(Arguments arguments, T defaults, string? context = null) where T : class => (T)Bind(arguments, defaults, typeof(T), context);

    /// <summary>
    /// A copy of <paramref name="defaults"/> with the command line's options applied. A record that knows which
    /// of its options apply (<see cref="IOptionApplicability"/>) refuses one that is given but does not;
    /// <paramref name="context"/> says where it does not apply (e.g. "--model mae"), by default the record's own description.
    /// </summary>
    public static object Bind(Arguments arguments, object defaults, Type type, string? context = null)
    {
        var clone = type.GetMethod("<Clone>$")?.Invoke(defaults, null) ?? defaults;
        var given = new List<(string Name, PropertyInfo Property)>();
        foreach (var (name, property, _) in Options(type))
        {
            var values = arguments.Claim(name);
            if (values is null) continue;
            property.SetValue(clone, Convert(name, values, property.PropertyType));
            given.Add((name, property));
        }
        if (clone is IOptionApplicability applicability)
            foreach (var (name, property) in given)
                if (!applicability.Uses(property.Name))
                {
                    var (where, fix) = (clone as Latent.Models.ModelOptions)?.Choice?.Refusal(property.Name) ?? ("", "");
                    throw new UserInputException($"--{name} does not apply to {context ?? Describe(clone)}{where}; drop it{fix}", (clone as Latent.Models.ModelOptions)?.Choice?.Property is { } choice ? [choice] : []);
                }
        return clone;
    }

    static string Describe(object options) => options is Latent.Data.DataOptions data ? $"--data {data.Data}" : "these options";

    /// <summary>Names of the options of <paramref name="type"/> that the command line gives.</summary>
    public static IEnumerable<string> Given(Arguments arguments, Type type) =>
        Options(type).Where(option => arguments.Has(option.Name)).Select(option => option.Name);

    static object? Convert(string name, IReadOnlyList<string> values, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(bool))
        {
            if (values.Count == 0) return true;
            if (values.Count == 1 && bool.TryParse(values[0], out bool flag)) return flag;
            throw new UserInputException($"--{name} is a flag; pass it alone (or --{name} false)");
        }
        if (values.Count != 1) throw new UserInputException($"--{name} takes one value; pass --{name} VALUE");
        var text = values[0];
        if (target == typeof(string)) return text;
        if (target == typeof(int))
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int whole) ? whole
                : throw new UserInputException($"--{name} '{text}' is not a whole number; pass e.g. --{name} 10");
        if (target == typeof(double))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) && double.IsFinite(real) ? real
                : throw new UserInputException($"--{name} '{text}' is not a number; pass e.g. --{name} 0.5");
        if (target == typeof(int[]))
        {
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            return parts.All(part => int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                ? parts.Select(part => int.Parse(part, CultureInfo.InvariantCulture)).ToArray()
                : throw new UserInputException($"--{name} '{text}' is not a comma-separated list of whole numbers; pass e.g. --{name} 512,256");
        }
        if (target.IsEnum)
        {
            var match = Enum.GetNames(target).FirstOrDefault(candidate => KebabCase(candidate) == text.ToLowerInvariant());
            return match is not null ? Enum.Parse(target, match)
                : throw new UserInputException($"--{name} '{text}' is not one of: {string.Join(", ", Enum.GetNames(target).Select(KebabCase))}");
        }
        throw new NotSupportedException($"option type {type.Name} of --{name}");
    }

    /// <summary><c>LatentDim</c> → <c>latent-dim</c>.</summary>
    public static string KebabCase(string name) => OptionNames.Kebab(name);

    /// <summary>
    /// The flag for a name the library's messages use (<see cref="UserInputException.Options"/>): an option
    /// record's property (<c>LatentDim</c> is <c>--latent-dim</c>), or one of the few library names the
    /// command line spells otherwise (<see cref="FlagsByLibraryName"/>).
    /// </summary>
    public static string Flag(string name) => "--" + (FlagsByLibraryName.GetValueOrDefault(name) ?? KebabCase(name));

    /// <summary>Library names (parameters of the library's calls) whose flag is not their kebab-case spelling.</summary>
    static readonly Dictionary<string, string> FlagsByLibraryName = new()
    {
        [Latent.Models.ModelOptions.FamilyOption] = "model",
        ["RunDirectory"] = "run",   // an existing run (RunDirectory.Open), given as --run DIR
        ["DataSplit"] = "split",    // which split is read, --split test|train|validation
        ["outDirectory"] = "out",   // OnnxExport's destination folder, --out DIR
        ["csvPath"] = "out",        // RunScoring's CSV file, --out FILE.csv
    };

    /// <summary>
    /// The help lines of a record's options, with defaults; <paramref name="applies"/> keeps only the options it
    /// accepts and may annotate them (e.g. "conv only").
    /// </summary>
    public static string Help(Type type, object defaults, Func<string, (bool Show, string Note)>? applies = null)
    {
        var lines = Options(type).Select(option => (option, filter: applies?.Invoke(option.Property.Name) ?? (true, "")))
            .Where(entry => entry.filter.Show).Select(entry =>
        {
            var (option, (_, note)) = entry;
            var value = option.Property.GetValue(defaults);
            string shown = value switch
            {
                null => "",
                int[] list => string.Join(",", list),
                Enum choice => KebabCase(choice.ToString()),
                bool flag => flag ? "on" : "",
                IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
            return $"  --{option.Name,-22} {(note.Length > 0 ? $"({note}) " : "")}{option.Description}{(shown.Length > 0 ? $" [default: {shown}]" : "")}";
        });
        return string.Join('\n', lines);
    }
}
