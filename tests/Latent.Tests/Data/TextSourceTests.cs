using Latent.Data;
using Latent.Data.Sources;

namespace Latent.Tests.Data;

public sealed class TextSourceTests
{
    const string Gpl3 = "/usr/share/common-licenses/GPL-3";

    /// <summary>A seeded pseudo-text of a few thousand characters from a small word list.</summary>
    internal static string SeededText(int words = 1500, int seed = 5)
    {
        string[] lexicon = ["the", "program", "free", "software", "copy", "work", "license", "you", "may", "and", "of", "to"];
        var random = new SplitMix64(seed);
        return string.Join(' ', Enumerable.Range(0, words).Select(i => lexicon[random.NextBelow((ulong)lexicon.Length)] + (i % 9 == 8 ? "." : "")));
    }

    static TextSettings Settings(TokenLevel level = TokenLevel.Char, int window = 16, int? stride = null, IReadOnlyList<string>? vocabulary = null) =>
        new(level, window, stride ?? window, null, vocabulary);

    [Fact]
    public void Words_and_punctuation_are_tokens_and_whitespace_runs_are_one_space()
    {
        Assert.Equal(["It's", "free", ",", "isn't", "it", "?"], Vocabulary.Tokenize("It's   free,\n\tisn't it?", TokenLevel.Word));
        Assert.Equal(["a", " ", "b"], Vocabulary.Tokenize("  a \n\n b ", TokenLevel.Char));
        Assert.Equal("It's free, isn't it?", Vocabulary.Join(["It's", "free", ",", "isn't", "it", "?"], TokenLevel.Word));
    }

    [Fact]
    public void The_vocabulary_reserves_unk_and_mask_and_ranks_tokens_by_frequency()
    {
        var vocabulary = Vocabulary.Build(["b", "a", "b", "c", "b", "a"], maxSize: 4);
        Assert.Equal(["[UNK]", "[MASK]", "b", "a"], vocabulary.Tokens);
        Assert.Equal(Vocabulary.Unknown, vocabulary.Id("c"));
        Assert.Equal(2, vocabulary.Id("b"));
        Assert.Equal("a", vocabulary.Token(3));
    }

    [Fact]
    public void Windows_hold_token_ids_and_the_test_split_is_held_out_text()
    {
        using var folder = new TempDirectory();
        var text = SeededText();
        File.WriteAllText(folder.File("t.txt"), text);
        var (train, _, test) = TextSource.Load(folder.File("t.txt"), Settings(), validationFraction: 0, seed: 1);
        var vocabulary = new Vocabulary(TextSource.BuildVocabulary(folder.File("t.txt"), Settings()));

        Assert.Equal(DataShape.Tokens(16, vocabulary.Size), train.Shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, train.Features.dtype);
        Assert.Null(train.Labels);
        // Non-overlapping windows of the normalised text, about a tenth of it for test.
        int tokens = Vocabulary.Tokenize(text, TokenLevel.Char).Count;
        Assert.InRange((train.Count + test.Count) * 16, tokens - 10 * 16, tokens);
        Assert.InRange((double)test.Count / (train.Count + test.Count), 0.07, 0.13);
        // Every window decodes back to a piece of the text, and no [MASK] occurs in data.
        foreach (var dataset in new[] { train, test })
        {
            var ids = dataset.Features.data<long>().ToArray();
            Assert.DoesNotContain((long)Vocabulary.Mask, ids);
            var first = string.Concat(ids.Take(16).Select(id => vocabulary.Token(id)));
            Assert.Contains(first, text);
        }
    }

    [Fact]
    public void A_stride_overlaps_training_windows_but_not_test_windows()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.txt"), SeededText());
        var (plain, _, plainTest) = TextSource.Load(folder.File("t.txt"), Settings(), validationFraction: 0, seed: 1);
        var (strided, _, stridedTest) = TextSource.Load(folder.File("t.txt"), Settings(stride: 4), validationFraction: 0, seed: 1);
        Assert.InRange(strided.Count, 3.5 * plain.Count, 4.1 * plain.Count);
        Assert.True(plainTest.Features.SameAs(stridedTest.Features));
        // Window 2 starts 4 tokens after window 1.
        Assert.True(strided.Features[1, ..12].SameAs(strided.Features[0, 4..]));
    }

    [Fact]
    public void A_recorded_vocabulary_maps_other_text_to_the_same_ids()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("a.txt"), SeededText(seed: 1));
        File.WriteAllText(folder.File("b.txt"), SeededText(seed: 2) + " zebra");
        var options = DataCatalog.Resolve(new DataOptions { Data = "text:" + folder.File("a.txt"), Tokens = TokenLevel.Word, Window = 8 });
        Assert.NotNull(options.Vocabulary);
        Assert.Equal(options.Vocabulary, DataCatalog.Resolve(options).Vocabulary);

        var own = DataCatalog.Load(options, seed: 1);
        var other = DataCatalog.Load(options with { Data = "text:" + folder.File("b.txt") }, seed: 1);
        Assert.Equal(own.Shape, other.Shape);
        var vocabulary = new Vocabulary(options.Vocabulary!);
        Assert.Contains((long)vocabulary.Id("software"), other.Train.Features.data<long>().ToArray());
        // "zebra" ends b.txt, so it is test text; a's vocabulary lacks it.
        Assert.Equal(Vocabulary.Unknown, vocabulary.Id("zebra"));
        Assert.Contains((long)Vocabulary.Unknown, other.Test.Features.data<long>().ToArray());
    }

    [Theory]
    [InlineData("missing", "does not exist")]
    [InlineData("empty", "is empty")]
    [InlineData("binary", "binary file")]
    [InlineData("latin1", "is not UTF-8")]
    [InlineData("short", "too few")]
    public void Bad_text_files_are_one_line_errors(string kind, string expected)
    {
        using var folder = new TempDirectory();
        var path = folder.File(kind);
        switch (kind)
        {
            case "empty": File.WriteAllText(path, " \n\t\n"); break;
            case "binary": File.WriteAllBytes(path, [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1, 2]); break;
            case "latin1": File.WriteAllBytes(path, [0x63, 0x61, 0x66, 0xE9, 0x20, 0x6E, 0x6F, 0x69, 0x72]); break;
            case "short": File.WriteAllText(path, "just a few words"); break;
        }
        var error = Assert.Throws<UserInputException>(() => DataCatalog.Load(new DataOptions { Data = "text:" + path }, seed: 1));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [SkippableFact]
    public void The_gpl_loads_as_words_and_as_characters()
    {
        Skip.IfNot(File.Exists(Gpl3), "this machine has no /usr/share/common-licenses/GPL-3");
        var words = DataCatalog.Load(DataCatalog.Resolve(new DataOptions { Data = "text:" + Gpl3, Tokens = TokenLevel.Word, Window = 16 }), seed: 1);
        Assert.InRange(words.Shape.VocabularySize, 800, 2500);
        Assert.InRange(words.Train.Count + words.Validation.Count + words.Test.Count, 300, 500);
        var characters = DataCatalog.Load(DataCatalog.Resolve(new DataOptions { Data = "text:" + Gpl3, Window = 64 }), seed: 1);
        Assert.InRange(characters.Shape.VocabularySize, 60, 100);
    }

    [Fact]
    public void No_validation_window_shares_a_token_with_a_training_window()
    {
        // Every word is different, so a token id is a position in the text.
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.txt"), string.Join(' ', Enumerable.Range(0, 4000).Select(i => $"w{i}")));
        var options = DataCatalog.Resolve(new DataOptions { Data = "text:" + folder.File("t.txt"), Tokens = TokenLevel.Word, Window = 16, Stride = 4 });
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var splits = DataCatalog.Load(options, seed);
            var train = splits.Train.Features.data<long>().ToHashSet();
            var validation = splits.Validation.Features.data<long>().ToArray();
            Assert.DoesNotContain((long)Vocabulary.Unknown, validation);
            Assert.DoesNotContain(validation, train.Contains);
            Assert.Equal(validation.Length, validation.Distinct().Count()); // validation windows do not overlap each other
            // About a tenth of the training text, in whole windows.
            Assert.InRange(validation.Length, 0.08 * 3600, 0.11 * 3600);
        }
        Assert.False(DataCatalog.Load(options, 1).Validation.Features.SameAs(DataCatalog.Load(options, 2).Validation.Features));
        Assert.True(DataCatalog.Load(options, 1).Test.Features.SameAs(DataCatalog.Load(options, 2).Test.Features));
    }

    [Theory]
    [InlineData(5000, 64, 4, 0.1)]
    [InlineData(5000, 16, 1, 0.2)]
    [InlineData(700, 16, 16, 0.1)]
    [InlineData(180, 8, 3, 0.5)]
    [InlineData(40_000, 64, 64, 0.05)]
    [InlineData(40_000, 32, 8, 0)]
    public void Splits_of_a_text_are_disjoint_ranges_of_tokens(int tokens, int window, int stride, double fraction)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var layout = TextLayout.Of(tokens, window, stride, fraction, seed, limit: null, "t.txt");
            var owner = new int[tokens]; // 0: no window, 1: train, 2: validation, 3: test
            void Claim(int[] starts, int split)
            {
                foreach (int start in starts)
                    for (int t = start; t < start + window; t++)
                    {
                        Assert.True(owner[t] == 0 || (owner[t] == split && split == 1), $"token {t} is in split {owner[t]} and {split}");
                        owner[t] = split;
                    }
            }
            Claim(layout.Train, 1);
            Claim(layout.Validation, 2);
            Claim(layout.Test, 3);
            int trainingTokens = layout.TrainingText.Sum(range => range.Length);
            Assert.InRange(layout.Validation.Length * window, fraction * trainingTokens - TextLayout.MaxBlockWindows * window,
                           fraction * trainingTokens + TextLayout.MaxBlockWindows * window);
            Assert.NotEmpty(layout.Train);
            // The test split is the same for every seed and fraction.
            Assert.Equal(TextLayout.Of(tokens, window, stride, 0, seed: 99, limit: null, "t.txt").Test, layout.Test);
        }
    }

    [Fact]
    public void A_limit_keeps_the_first_windows_of_train_and_validation_together()
    {
        var all = TextLayout.Of(20_000, 16, 4, 0.1, seed: 7, limit: null, "t.txt");
        var limited = TextLayout.Of(20_000, 16, 4, 0.1, seed: 7, limit: 500, "t.txt");
        Assert.Equal(500, limited.Train.Length + limited.Validation.Length);
        Assert.NotEmpty(limited.Validation);
        int last = Math.Max(limited.Train.Max(), limited.Validation.Max());
        Assert.Equal(all.Train.Where(start => start <= last), limited.Train);
        Assert.Equal(all.Validation.Where(start => start <= last), limited.Validation);
    }
}
