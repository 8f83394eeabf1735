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
/// denoising). The token stream is cut into up to ten equal parts before any window is formed, and
/// the last <see cref="DataCatalog.TestFraction"/> of every part is test text (non-overlapping
/// windows), the rest training text (windows every <see cref="TextSettings.Stride"/> tokens, inside
/// their part). So the test split samples the whole document rather than only its ending, and no
/// window, however strided, straddles train and test. The vocabulary is built from the training
/// text only, so test tokens it lacks become [UNK], as they would in any new text.
/// Features are int64 [N, T]; there are no labels.
/// </summary>
public static class TextSource
{
    public static (Dataset TrainAndValidation, Dataset Test) Load(string path, TextSettings settings)
    {
        var parts = Cut(ReadTokens(path, settings.Level), path, settings.Window);
        var vocabulary = settings.Vocabulary is null
            ? Vocabulary.Build(parts.SelectMany(part => part.Train), settings.MaxVocabulary)
            : new Vocabulary(settings.Vocabulary);
        var shape = DataShape.Tokens(settings.Window, vocabulary.Size);
        return (Windows(parts.Select(part => part.Train), vocabulary, shape, settings.Stride),
                Windows(parts.Select(part => part.Test), vocabulary, shape, settings.Window));
    }

    /// <summary>The vocabulary that <see cref="Load"/> builds for this file, as a token list to record in a run.</summary>
    public static IReadOnlyList<string> BuildVocabulary(string path, TextSettings settings) =>
        Vocabulary.Build(Cut(ReadTokens(path, settings.Level), path, settings.Window).SelectMany(part => part.Train), settings.MaxVocabulary).Tokens;

    /// <summary>The file's tokens; a missing, empty or non-text file is a one-line user error.</summary>
    static List<string> ReadTokens(string path, TokenLevel level)
    {
        if (!File.Exists(path))
            throw new UserInputException($"text file '{path}' does not exist; pass text:FILE with a UTF-8 text file, e.g. text:/usr/share/common-licenses/GPL-3");
        var bytes = File.ReadAllBytes(path);
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

    /// <summary>
    /// The parts of the text, each as (training tokens, test tokens): as many parts as the test text
    /// fills windows, at most ten; each part's test piece is its last tenth, whole windows, at least one.
    /// </summary>
    static List<(List<string> Train, List<string> Test)> Cut(List<string> tokens, string path, int window)
    {
        int partCount = Math.Clamp((int)(tokens.Count * DataCatalog.TestFraction) / window, 1, 10);
        int partLength = tokens.Count / partCount;
        var parts = new List<(List<string>, List<string>)>();
        for (int p = 0; p < partCount; p++)
        {
            int start = p * partLength, length = p == partCount - 1 ? tokens.Count - start : partLength;
            int testLength = Math.Max(window, (int)Math.Round(length * DataCatalog.TestFraction) / window * window);
            if (length - testLength < 2 * window)
                throw new UserInputException(
                    $"'{path}' has {tokens.Count} tokens, too few for windows of {window} with a test part held out; pass a smaller --window (at most {tokens.Count / 4}) or a longer text");
            parts.Add((tokens.GetRange(start, length - testLength), tokens.GetRange(start + length - testLength, testLength)));
        }
        return parts;
    }

    /// <summary>Windows of <c>shape.Width</c> tokens every <paramref name="stride"/> tokens, inside each part: ids [N, T].</summary>
    static Dataset Windows(IEnumerable<List<string>> parts, Vocabulary vocabulary, DataShape shape, int stride)
    {
        int window = shape.Width;
        var ids = new List<long>();
        foreach (var part in parts)
            for (int start = 0; start + window <= part.Count; start += stride)
                for (int t = 0; t < window; t++)
                    ids.Add(vocabulary.Id(part[start + t]));
        return new Dataset(tensor(ids.ToArray(), [ids.Count / window, window]), shape);
    }
}
