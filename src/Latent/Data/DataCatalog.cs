using Latent.Data.Sources;

namespace Latent.Data;

/// <summary>
/// The one place that maps a <c>--data</c> spec to its reader, and carves the splits: the test split
/// comes from the source (its own files, or a fixed carve that does not depend on the seed, so every
/// run is tested on the same examples); validation is carved from train with the run's seed (from a
/// text, as contiguous blocks of it: <see cref="TextLayout"/>).
/// </summary>
public static class DataCatalog
{
    /// <summary>Fraction of a single-file source set aside as its test split.</summary>
    public const double TestFraction = 0.1;

    /// <summary>Loads the train, validation and test splits that <paramref name="options"/> describe.</summary>
    public static DataSplits Load(DataOptions options, int seed)
    {
        options.Validate();
        DataSplits splits;
        if (ParseSpec(options.Data) is ("text", var path))
            splits = TextSource.Load(path, TextSettings(options), options.ValidationFraction, seed, options.Limit, options.ValidationLimit); // validation as blocks of text
        else
        {
            var (trainAndValidation, test) = LoadSource(options);
            // The class filter comes after the test split is carved and before validation is, so that the test
            // split keeps every label and the validation split holds only the kept ones; --limit counts kept examples.
            if (options.Classes is string classes) trainAndValidation = KeepClasses(trainAndValidation, test, classes, options.Data);
            if (options.Limit is int limit) trainAndValidation = trainAndValidation.Take(limit);
            var (train, validation) = Split(trainAndValidation, options.ValidationCount(trainAndValidation.Count), seed);
            splits = new DataSplits(train, validation, test);
        }
        if (splits.Train.Count == 0)
            throw new UserInputException($"{options.Data} leaves no training examples after the validation split; add data or lower {nameof(DataOptions.ValidationFraction)}", nameof(DataOptions.ValidationFraction));
        return splits;
    }

    /// <summary>The examples of the <c>--classes</c> labels, which must leave some.</summary>
    static Dataset KeepClasses(Dataset trainAndValidation, Dataset test, string classes, string data)
    {
        if (trainAndValidation.Labels is null)
            throw new UserInputException($"{nameof(DataOptions.Classes)} selects by label, but {data} has no labels; drop {nameof(DataOptions.Classes)}", nameof(DataOptions.Classes));
        int classCount = Math.Max(trainAndValidation.ClassCount, test.ClassCount);
        var ids = ClassSelection.Resolve(classes, classCount, trainAndValidation.LabelNames, data);
        var kept = ClassSelection.Keep(trainAndValidation, ids);
        if (kept.Count == 0)
            throw new UserInputException($"{nameof(DataOptions.Classes)} {classes} keeps no training examples of {data}: its training split has none of those labels; pass labels it has", nameof(DataOptions.Classes));
        return kept;
    }

    /// <summary>
    /// The label ids of the run's <c>--classes</c> (its normal classes), resolved against <paramref name="data"/>'s
    /// labels; null when the options keep every label.
    /// </summary>
    public static int[]? SelectedClasses(DataOptions options, Dataset data) =>
        options.Classes is string classes ? ClassSelection.Resolve(classes, data.ClassCount, data.LabelNames, options.Data) : null;

    /// <summary>Only the test split: what <c>latent eval</c> needs.</summary>
    public static Dataset LoadTest(DataOptions options)
    {
        options.Validate();
        return ParseSpec(options.Data) is ("text", var path) ? TextSource.LoadTest(path, TextSettings(options)) : LoadSource(options).Test;
    }

    static (Dataset TrainAndValidation, Dataset Test) LoadSource(DataOptions options)
    {
        var (kind, argument) = ParseSpec(options.Data);
        return kind switch
        {
            "shapes" => ShapesSource.Load(ShapesSpec.Parse(argument), options.Examples, options.Classes is null ? options.Limit : null, options.Storage), // a limit counts the examples of the kept classes
            "fashion-mnist" => IdxSource.Load(FashionMnistDirectory(), IdxSource.FashionMnistLabelNames, options.Storage),
            "idx" => IdxSource.Load(argument, labelNames: null, options.Storage),
            "images" => CarveTest(ImageFolderSource.Load(argument, options.ImageSize, options.Alpha ?? AlphaHandling.Composite,
                                                          options.Background ?? Background.White, options.Storage)),
            "csv" => CarveTest(CsvSource.Load(argument, options.LabelColumn, options.Header)),
            _ => throw new UserInputException(
                $"unknown data source '{options.Data}'; pass shapes, fashion-mnist, idx:DIR, images:DIR, csv:FILE or text:FILE"),
        };
    }

    /// <summary>
    /// The options with everything derived from the data itself fixed: for <c>text:FILE</c>, the
    /// vocabulary; for <c>images:DIR</c>, what transparency becomes (composited over white unless the
    /// options say otherwise). A run records these, so that it maps other text (or a changed file) to
    /// the same ids, and its manifest says how the images were prepared.
    /// </summary>
    public static DataOptions Resolve(DataOptions options)
    {
        options.Validate();
        var (kind, argument) = ParseSpec(options.Data);
        return kind switch
        {
            "text" when options.Vocabulary is null => options with { Vocabulary = TextSource.BuildVocabulary(argument, TextSettings(options)) },
            "images" => options with
            {
                Alpha = options.Alpha ?? AlphaHandling.Composite,
                Background = options.Alpha == AlphaHandling.Keep ? null : options.Background ?? Background.White,
            },
            _ => options,
        };
    }

    static TextSettings TextSettings(DataOptions options) =>
        new(options.Tokens, options.Window, options.Stride ?? options.Window, options.MaxVocabulary, options.Vocabulary);

    static (string Kind, string Argument) ParseSpec(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0) return (spec.Trim().ToLowerInvariant(), "");
        var (kind, argument) = (spec[..colon].Trim().ToLowerInvariant(), spec[(colon + 1)..]);
        if (argument.Length == 0)
            throw new UserInputException($"{nameof(DataOptions.Data)} {spec} names no path; pass {kind}:PATH", nameof(DataOptions.Data));
        return (kind, argument);
    }

    /// <summary>Debian's dataset-fashion-mnist package, or $LATENT_DATA/fashion-mnist.</summary>
    public static string FashionMnistDirectory()
    {
        var custom = Environment.GetEnvironmentVariable("LATENT_DATA");
        if (!string.IsNullOrEmpty(custom) && Directory.Exists(Path.Combine(custom, "fashion-mnist")))
            return Path.Combine(custom, "fashion-mnist");
        const string debian = "/usr/share/datasets/fashion-mnist";
        if (Directory.Exists(debian)) return debian;
        throw new UserInputException(
            "Fashion-MNIST is not installed; run 'sudo apt-get install dataset-fashion-mnist' or put its IDX files in $LATENT_DATA/fashion-mnist");
    }

    /// <summary>Whether Fashion-MNIST is at hand (<see cref="FashionMnistDirectory"/> holds its four IDX files), so that <c>fashion-mnist</c> can be loaded.</summary>
    public static bool FashionMnistInstalled()
    {
        try { FashionMnistDirectory(); return true; }
        catch (UserInputException) { return false; }
    }

    /// <summary>Holds out <see cref="TestFraction"/> with a fixed seed, the same for every run.</summary>
    static (Dataset, Dataset) CarveTest(Dataset all)
    {
        var (rest, test) = Split(all, (int)Math.Round(all.Count * TestFraction), seed: 0x7E57);
        if (test.Count == 0)
            throw new UserInputException($"the data has only {all.Count} examples, too few to hold out a test split; add more examples");
        return (rest, test);
    }

    /// <summary>A seeded random split: (the rest, <paramref name="partCount"/> of the examples).</summary>
    internal static (Dataset Remainder, Dataset Part) Split(Dataset data, int partCount, int seed)
    {
        var order = Shuffle.Permutation(data.Count, seed);
        if (partCount == 0) return (data, data.Subset([])); // the whole set, not a copy of it
        var part = order[..partCount];
        var rest = order[partCount..];
        Array.Sort(part);
        Array.Sort(rest);
        return (data.Subset(rest), data.Subset(part));
    }
}
