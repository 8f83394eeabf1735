using System.Text.RegularExpressions;

namespace Latent;

/// <summary>
/// A problem the user can fix: a bad path, a malformed file, a nonsense option. The message is one
/// line that names the problem and the fix, in the library's language: an option is named by its
/// property (<c>Epochs</c>, <c>LatentDim</c>), and <see cref="Options"/> lists the names it uses so that
/// a front end can respell them (the command line prints <c>--epochs</c>, <c>--latent-dim</c>, and exits
/// with code 2). Internal invariants throw ordinary exceptions instead.
/// </summary>
public sealed class UserInputException : Exception
{
    /// <summary>A problem described in words alone, naming no option.</summary>
    /// <param name="message">One line: the problem and its fix.</param>
    public UserInputException(string message) : this(message, []) { }

    /// <summary>A problem whose message names options by their property names.</summary>
    /// <param name="message">One line: the problem and its fix, options named as properties (<c>nameof(TrainingOptions.Lr)</c>).</param>
    /// <param name="options">The property names the message uses, each written in it as a whole word.</param>
    public UserInputException(string message, params IReadOnlyList<string> options) : base(message) => Options = options;

    /// <summary>The option property names <see cref="Exception.Message"/> uses, in the order given.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>
    /// The message with every option of <see cref="Options"/> respelled by <paramref name="spell"/>
    /// (whole words only, so <c>Lr</c> is not touched inside <c>LrFloor</c>, nor a folder <c>Data</c> inside a path
    /// such as <c>/home/me/Data/x.csv</c>).
    /// </summary>
    /// <param name="spell">An option's property name to the front end's name for it, e.g. <c>Lr</c> to <c>--lr</c>.</param>
    public string MessageIn(Func<string, string> spell) =>
        Options.Count == 0 ? Message
            : Regex.Replace(Message, $@"(?<![\w\-/\\])({string.Join("|", Options.OrderByDescending(name => name.Length).Select(Regex.Escape))})(?![\w\-/\\])",
                match => spell(match.Value));
}
