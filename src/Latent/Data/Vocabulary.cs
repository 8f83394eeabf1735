using System.Text;
using System.Text.RegularExpressions;

namespace Latent.Data;

/// <summary>How a text is cut into tokens.</summary>
public enum TokenLevel
{
    /// <summary>Every character (Unicode scalar) is a token.</summary>
    Char,
    /// <summary>Words (letters, digits, inner apostrophes) and single punctuation marks are tokens; spaces are dropped.</summary>
    Word,
}

/// <summary>
/// The map between tokens and ids. Ids 0 and 1 are reserved: <see cref="Unknown"/> for tokens the
/// vocabulary does not hold (rare ones cut by a size cap, or new ones in other text), and
/// <see cref="Mask"/>, which never occurs in data and stands for a hidden token in a masking model.
/// Real tokens follow, most frequent first (ties in ordinal order), so the ids are a pure function
/// of the text.
/// </summary>
public sealed partial class Vocabulary
{
    /// <summary>The id of <see cref="UnknownToken"/>: every token outside the vocabulary.</summary>
    public const int Unknown = 0;
    /// <summary>The id of <see cref="MaskToken"/>: a position hidden from the model (masked and denoising autoencoders).</summary>
    public const int Mask = 1;
    /// <summary>The text of id <see cref="Unknown"/>.</summary>
    public const string UnknownToken = "[UNK]";
    /// <summary>The text of id <see cref="Mask"/>.</summary>
    public const string MaskToken = "[MASK]";
    /// <summary>Ids reserved before the first real token.</summary>
    public const int Reserved = 2;

    readonly string[] _tokens;
    readonly Dictionary<string, int> _ids;

    /// <summary>A vocabulary from its token list, reserved entries first (as <see cref="Tokens"/> returns it).</summary>
    public Vocabulary(IReadOnlyList<string> tokens)
    {
        if (tokens.Any(token => token is null))
            throw new UserInputException("the stored vocabulary has an empty (null) entry; restore the run's manifest or train again");
        if (tokens.Count < Reserved || tokens[Unknown] != UnknownToken || tokens[Mask] != MaskToken)
            throw new UserInputException($"the stored vocabulary does not start with {UnknownToken}, {MaskToken}; restore the run's manifest or train again");
        _tokens = tokens.ToArray();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < _tokens.Length; id++)
            if (!_ids.TryAdd(_tokens[id], id))
                throw new UserInputException($"the stored vocabulary lists '{_tokens[id]}' twice; restore the run's manifest or train again");
    }

    /// <summary>Every token by id, the reserved ones first: what a run records to rebuild the map.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Number of ids, the reserved ones included.</summary>
    public int Size => _tokens.Length;

    /// <summary>The tokens of <paramref name="text"/> ranked by frequency, cut to <paramref name="maxSize"/> ids in all.</summary>
    public static Vocabulary Build(IEnumerable<string> text, int? maxSize = null)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in text) counts[token] = counts.GetValueOrDefault(token) + 1;
        var ranked = counts.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => pair.Key)
                           .Where(token => token is not (UnknownToken or MaskToken));
        if (maxSize is int cap) ranked = ranked.Take(Math.Max(0, cap - Reserved));
        return new Vocabulary([UnknownToken, MaskToken, .. ranked]);
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="Unknown"/>.</summary>
    public int Id(string token) => _ids.GetValueOrDefault(token, Unknown);

    /// <summary>The token of <paramref name="id"/>, or <see cref="UnknownToken"/> for an id outside [0, <see cref="Size"/>).</summary>
    public string Token(long id) => id >= 0 && id < _tokens.Length ? _tokens[id] : UnknownToken;

    /// <summary>
    /// Cuts text into tokens. Whitespace runs (line breaks, indentation) count as one space, so that
    /// the tokens are about the words rather than the layout.
    /// </summary>
    public static List<string> Tokenize(string text, TokenLevel level)
    {
        var normalised = Whitespace().Replace(text, " ").Trim();
        return level == TokenLevel.Char
            ? normalised.EnumerateRunes().Select(rune => rune.ToString()).ToList()
            : Word().Matches(normalised).Select(match => match.Value).ToList();
    }

    /// <summary>Tokens back to readable text: characters run together; words get spaces, but not before closing punctuation.</summary>
    public static string Join(IEnumerable<string> tokens, TokenLevel level)
    {
        if (level == TokenLevel.Char) return string.Concat(tokens);
        var text = new StringBuilder();
        string? previous = null;
        foreach (var token in tokens)
        {
            bool glued = previous is null || token is "." or "," or ";" or ":" or "!" or "?" or ")" or "]" or "}" or "%" || previous is "(" or "[" or "{";
            if (!glued) text.Append(' ');
            text.Append(token);
            previous = token;
        }
        return text.ToString();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\w+(?:['’]\w+)*|[^\w\s]")]
    private static partial Regex Word();
}
