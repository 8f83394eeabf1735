namespace Latent.Data.Sources;

/// <summary>A half-open range [Start, Start + Length) of token positions in a text.</summary>
internal readonly record struct TokenRange(int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>
/// Where the windows of each split of a text start, as token positions; all of a text's splits are
/// a pure function of its length, the window, the stride, the validation fraction and the seed.
/// <para>
/// Test: the token stream is cut into up to ten equal parts, and the last
/// <see cref="DataCatalog.TestFraction"/> of every part, in whole windows, is test text, read as
/// non-overlapping windows. It does not depend on the seed, so every run is tested on the same text.
/// </para>
/// <para>
/// Validation: the rest of every part is training text. It is cut into blocks of up to
/// <see cref="MaxBlockWindows"/> windows, and blocks drawn with the seed, together holding about the
/// validation fraction of the training tokens, are validation text, read as non-overlapping windows.
/// Training windows (every <c>stride</c> tokens) lie in what remains between those blocks. So no
/// window straddles two splits and no token is seen by a training window and a validation window:
/// with overlapping training windows, validation windows drawn at random from the same windows would
/// share most of their tokens with their training neighbours, and the validation loss would be optimistic.
/// </para>
/// </summary>
/// <param name="Train">Start of every training window.</param>
/// <param name="Validation">Start of every validation window.</param>
/// <param name="Test">Start of every test window.</param>
/// <param name="TrainingText">The training text of every part, validation blocks included (what the vocabulary is built from).</param>
internal sealed record TextLayout(int[] Train, int[] Validation, int[] Test, IReadOnlyList<TokenRange> TrainingText)
{
    /// <summary>Windows per validation block, at most: short blocks spread validation over the text; each block costs the training split about one window of tokens at its edges.</summary>
    public const int MaxBlockWindows = 4;

    /// <summary>
    /// The layout of a text of <paramref name="tokenCount"/> tokens; <paramref name="limit"/> keeps only
    /// the first windows of train and validation together (in text order), and <paramref name="validationLimit"/> (when positive)
    /// caps the validation windows. <paramref name="path"/> names the text in errors.
    /// </summary>
    public static TextLayout Of(int tokenCount, int window, int stride, double validationFraction, int seed, int? limit, string path, int validationLimit = 0)
    {
        var (training, test) = Parts(tokenCount, window, path);
        var blocks = ValidationBlocks(training, window, validationFraction, validationLimit, seed);
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var part in training)
        {
            int segmentStart = part.Start;
            foreach (var block in blocks.Where(block => block.Start >= part.Start && block.End <= part.End))
            {
                AddWindows(train, new TokenRange(segmentStart, block.Start - segmentStart), window, stride);
                AddWindows(validation, block, window, window);
                segmentStart = block.End;
            }
            AddWindows(train, new TokenRange(segmentStart, part.End - segmentStart), window, stride);
        }
        var testStarts = new List<int>();
        foreach (var part in test) AddWindows(testStarts, part, window, window);

        if (limit is int kept && train.Count + validation.Count > kept)
        {
            // The first windows of the text, whichever split they belong to: the same share of validation as the whole text.
            var first = train.Select(start => (start, validation: false)).Concat(validation.Select(start => (start, validation: true)))
                             .OrderBy(entry => entry.start).Take(kept).ToList();
            train = first.Where(entry => !entry.validation).Select(entry => entry.start).ToList();
            validation = first.Where(entry => entry.validation).Select(entry => entry.start).ToList();
        }
        return new TextLayout(train.ToArray(), validation.ToArray(), testStarts.ToArray(), training);
    }

    /// <summary>
    /// The training and test text of each part: as many parts as the test text fills windows, at
    /// most ten; each part's test piece is its last tenth in whole windows, at least one.
    /// </summary>
    static (List<TokenRange> Training, List<TokenRange> Test) Parts(int tokenCount, int window, string path)
    {
        int partCount = Math.Clamp((int)(tokenCount * DataCatalog.TestFraction) / window, 1, 10);
        int partLength = tokenCount / partCount;
        var (training, test) = (new List<TokenRange>(), new List<TokenRange>());
        for (int p = 0; p < partCount; p++)
        {
            int start = p * partLength, length = p == partCount - 1 ? tokenCount - start : partLength;
            int testLength = Math.Max(window, (int)Math.Round(length * DataCatalog.TestFraction) / window * window);
            if (length - testLength < 2 * window)
                throw new UserInputException(
                    $"'{path}' has {tokenCount} tokens, too few for windows of {window} with a test part held out; pass a smaller {nameof(DataOptions.Window)} (at most {tokenCount / 4}) or a longer text", nameof(DataOptions.Window));
            training.Add(new TokenRange(start, length - testLength));
            test.Add(new TokenRange(start + length - testLength, testLength));
        }
        return (training, test);
    }

    /// <summary>
    /// Blocks of whole windows, laid end to end from the start of each part's training text, of which
    /// the seed draws enough to hold about <paramref name="fraction"/> of the training tokens; sorted.
    /// At least one block stays training text.
    /// </summary>
    static List<TokenRange> ValidationBlocks(List<TokenRange> training, int window, double fraction, int limit, int seed)
    {
        long trainingTokens = training.Sum(part => (long)part.Length);
        int wanted = DataOptions.HeldOut((double)trainingTokens / window, fraction, limit); // validation windows
        if (wanted == 0) return [];
        int blockWindows = Math.Min(MaxBlockWindows, wanted);
        var candidates = training.SelectMany(part => Enumerable.Range(0, part.Length / (blockWindows * window))
                                     .Select(i => new TokenRange(part.Start + i * blockWindows * window, blockWindows * window))).ToArray();
        int count = Math.Min((int)Math.Round((double)wanted / blockWindows), candidates.Length - 1);
        if (count <= 0) return [];
        var chosen = Shuffle.Permutation(candidates.Length, seed)[..count];
        Array.Sort(chosen);
        return chosen.Select(i => candidates[i]).ToList();
    }

    /// <summary>Starts of the windows of <paramref name="window"/> tokens every <paramref name="stride"/> that fit in <paramref name="range"/>.</summary>
    static void AddWindows(List<int> starts, TokenRange range, int window, int stride)
    {
        for (int start = range.Start; start + window <= range.End; start += stride) starts.Add(start);
    }
}
