using System.Text;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>How <c>text:FILE</c> becomes examples: the token level, the window, and the vocabulary when it is fixed.</summary>
/// <param name="Level">Characters or words.</param>
/// <param name="Window">Tokens per example, T.</param>
/// <param name="Stride">Tokens between the starts of consecutive training windows (the window itself: no overlap).</param>
/// <param name="MaxVocabulary">Cap on the vocabulary size, reserved ids included; null keeps every token.</param>
/// <param name="Vocabulary">The vocabulary a run was trained with; null builds one from the training part of the text.</param>
public sealed record TextSettings(TokenLevel Level, int Window, int Stride, int? MaxVocabulary, IReadOnlyList<string>? Vocabulary);

/// <summary>
/// A UTF-8 text file as fixed-length windows of token ids, for masking models (BERT-style masked
/// denoising). <see cref="TextLayout"/> places the windows of the three splits: test windows in the
/// last tenth of up to ten equal parts of the text, validation windows in contiguous blocks of the
/// rest drawn with the seed, training windows (every <see cref="TextSettings.Stride"/> tokens)
/// between them; no window straddles two splits. The vocabulary is built from the training and
/// validation text only, so test tokens it lacks become [UNK], as they would in any new text.
/// Features are int64 [N, T]; there are no labels.
/// </summary>
public static class TextSource
{
    /// <summary>
    /// The three splits of the text: validation carved as blocks with <paramref name="seed"/>, at most <paramref name="validationLimit"/>
    /// windows of it (0: no cap); <paramref name="limit"/> caps train and validation windows together.
    /// </summary>
    public static DataSplits Load(string path, TextSettings settings, double validationFraction, int seed, int? limit = null, int validationLimit = 0)
    {
        var tokens = ReadTokens(path, settings.Level);
        var layout = TextLayout.Of(tokens.Count, settings.Window, settings.Stride, validationFraction, seed, limit, path, validationLimit);
        var (vocabulary, shape) = VocabularyAndShape(tokens, layout, settings);
        return new DataSplits(Windows(tokens, layout.Train, vocabulary, shape), Windows(tokens, layout.Validation, vocabulary, shape),
                              Windows(tokens, layout.Test, vocabulary, shape));
    }

    /// <summary>Only the test split (it does not depend on the seed).</summary>
    public static Dataset LoadTest(string path, TextSettings settings)
    {
        var tokens = ReadTokens(path, settings.Level);
        var layout = TextLayout.Of(tokens.Count, settings.Window, settings.Stride, validationFraction: 0, seed: 0, limit: null, path);
        var (vocabulary, shape) = VocabularyAndShape(tokens, layout, settings);
        return Windows(tokens, layout.Test, vocabulary, shape);
    }

    /// <summary>The vocabulary that <see cref="Load"/> builds for this file, as a token list to record in a run.</summary>
    public static IReadOnlyList<string> BuildVocabulary(string path, TextSettings settings)
    {
        var tokens = ReadTokens(path, settings.Level);
        var layout = TextLayout.Of(tokens.Count, settings.Window, settings.Stride, validationFraction: 0, seed: 0, limit: null, path);
        return Vocabulary.Build(TrainingTokens(tokens, layout), settings.MaxVocabulary).Tokens;
    }

    static (Vocabulary, DataShape) VocabularyAndShape(List<string> tokens, TextLayout layout, TextSettings settings)
    {
        var vocabulary = settings.Vocabulary is null
            ? Vocabulary.Build(TrainingTokens(tokens, layout), settings.MaxVocabulary)
            : new Vocabulary(settings.Vocabulary);
        return (vocabulary, DataShape.Tokens(settings.Window, vocabulary.Size));
    }

    static IEnumerable<string> TrainingTokens(List<string> tokens, TextLayout layout) =>
        layout.TrainingText.SelectMany(range => tokens.GetRange(range.Start, range.Length));

    /// <summary>The file's tokens; a missing, empty or non-text file is a one-line user error.</summary>
    static List<string> ReadTokens(string path, TokenLevel level)
    {
        const string fix = "pass text:FILE with a UTF-8 text file, e.g. text:/usr/share/common-licenses/GPL-3";
        UserPaths.RequireFile(path, "text file", fix);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception error) when (UserPaths.IsFileSystemError(error)) { throw UserPaths.CannotRead(path, error, fix); }
        if (Array.IndexOf(bytes, (byte)0) >= 0)
            throw new UserInputException($"'{path}' is a binary file (it holds NUL bytes); pass text:FILE with a UTF-8 text file");
        string text;
        try { text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException)
        {
            throw new UserInputException($"'{path}' is not UTF-8 text; convert it (e.g. iconv -t UTF-8) or pass another text:FILE");
        }
        var tokens = Vocabulary.Tokenize(text.TrimStart('\uFEFF'), level);
        if (tokens.Count == 0)
            throw new UserInputException($"'{path}' is empty (no {(level == TokenLevel.Char ? "characters" : "words")} besides whitespace); pass a text file with content");
        return tokens;
    }

    /// <summary>The windows of <c>shape.Width</c> tokens that start at <paramref name="starts"/>: ids [N, T].</summary>
    static Dataset Windows(List<string> tokens, int[] starts, Vocabulary vocabulary, DataShape shape)
    {
        int window = shape.Width;
        var ids = new long[(long)starts.Length * window];
        for (int n = 0; n < starts.Length; n++)
            for (int t = 0; t < window; t++)
                ids[(long)n * window + t] = vocabulary.Id(tokens[starts[n] + t]);
        return new Dataset(tensor(ids, [starts.Length, window]), shape);
    }
}
