namespace Latent.Cli.CommandLine;

/// <summary>
/// A command line split into its verb and its <c>--name value…</c> options. Values run until the next
/// <c>--option</c>, so <c>--compare A B</c> has two and a flag such as <c>--resume</c> has none.
/// Every option must be claimed by some binder; whatever is left is reported as unknown. An option
/// given twice is an error, except where a command reads it with <see cref="Repeatable"/>.
/// </summary>
public sealed class Arguments
{
    readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    readonly HashSet<string> _claimed = new(StringComparer.Ordinal);
    readonly HashSet<string> _givenTwice = new(StringComparer.Ordinal);

    public Arguments(IReadOnlyList<string> args)
    {
        int i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-')) Verb = args[i++];
        for (; i < args.Count; i++)
        {
            var token = args[i] == "-h" ? "--help" : args[i]; // the short form every tool accepts
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
                throw new UserInputException($"unexpected argument '{token}'; options are written --name value (see 'latent {Verb} --help')");
            var name = token[2..];
            var values = new List<string>();
            int equals = name.IndexOf('=');
            if (equals >= 0)
            {
                values.Add(name[(equals + 1)..]);
                name = name[..equals];
            }
            while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) values.Add(args[++i]);
            if (!_options.TryAdd(name, values))
            {
                _options[name].AddRange(values);
                _givenTwice.Add(name);
            }
        }
    }

    /// <summary>The command (<c>train</c>, <c>eval</c>, …), or null when none was given.</summary>
    public string? Verb { get; }

    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The values of <c>--name</c>, or null when absent; marks it as claimed.</summary>
    public IReadOnlyList<string>? Claim(string name)
    {
        if (_givenTwice.Contains(name)) throw new UserInputException($"--{name} is given twice; keep one");
        return Repeatable(name);
    }

    /// <summary>
    /// The values of an option that may be given more than once, all together (<c>--run A --run B</c>
    /// and <c>--run A B</c> both give A, B), or null when absent; marks it as claimed.
    /// </summary>
    public IReadOnlyList<string>? Repeatable(string name)
    {
        if (!_options.TryGetValue(name, out var values)) return null;
        _claimed.Add(name);
        return values;
    }

    /// <summary>The single value of <c>--name</c>, or null when absent.</summary>
    public string? Value(string name)
    {
        var values = Claim(name);
        if (values is null) return null;
        if (values.Count != 1) throw new UserInputException($"--{name} takes one value, not {values.Count}; pass --{name} VALUE");
        return values[0];
    }

    /// <summary>The value of a required option.</summary>
    public string Required(string name, string example) =>
        Value(name) ?? throw new UserInputException($"'latent {Verb}' needs --{name}; pass e.g. --{name} {example}");

    /// <summary>
    /// The file <c>--name</c> names (or <paramref name="fallback"/>, or an error naming <paramref name="example"/>),
    /// checked before any work is done: it must not be an existing folder, nor lie beneath a regular file.
    /// </summary>
    public string OutputFile(string name, string? fallback, string example)
    {
        var path = Value(name) ?? fallback ?? throw new UserInputException($"'latent {Verb}' needs --{name}; pass e.g. --{name} {example}");
        if (Directory.Exists(path))
            throw new UserInputException($"--{name} '{path}' is a folder; pass a file name, e.g. --{name} {Path.Combine(path, Path.GetFileName(example))}");
        UserPaths.RequireWritableFile(path, $"--{name}", $"pass a file in a folder, e.g. --{name} {Path.GetFileName(example)}");
        return path;
    }

    /// <summary>The whole number <c>--name</c> gives (invariant culture), checked against [minimum, maximum]; null when absent.</summary>
    public int? Whole(string name, int minimum, int maximum)
    {
        if (Value(name) is not string text) return null;
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
               && value >= minimum && value <= maximum
            ? value
            : throw new UserInputException(minimum == int.MinValue
                ? $"--{name} '{text}' must be a whole number, e.g. --{name} 1"
                : $"--{name} '{text}' must be a whole number from {minimum} to {(maximum == int.MaxValue ? "any" : maximum)}");
    }

    /// <summary>Whether a flag is present (a flag takes no value).</summary>
    public bool Flag(string name)
    {
        var values = Claim(name);
        if (values is null) return false;
        if (values.Count > 0) throw new UserInputException($"--{name} is a flag and takes no value; drop '{values[0]}'");
        return true;
    }

    /// <summary>Options given on the command line that were not claimed.</summary>
    public IEnumerable<string> Unclaimed => _options.Keys.Where(name => !_claimed.Contains(name));

    /// <summary>Fails with a one-line message when an option was not understood by the command.</summary>
    public void RejectUnknown()
    {
        var unknown = Unclaimed.ToList();
        if (unknown.Count > 0)
            throw new UserInputException($"'latent {Verb}' has no option --{unknown[0]}; see 'latent {Verb} --help' for its options");
    }
}
