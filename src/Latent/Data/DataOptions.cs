using System.ComponentModel;
using Latent.Data.Sources;

namespace Latent.Data;

/// <summary>Where the data comes from and how it is prepared; recorded in every run's manifest.</summary>
public sealed record DataOptions : IOptionApplicability
{
    /// <summary>Data source: shapes[:SIZE][:rgb], fashion-mnist, idx:DIR, images:DIR, csv:FILE or text:FILE.</summary>
    [Description("data source: shapes[:SIZE][:rgb], fashion-mnist, idx:DIR, images:DIR, csv:FILE or text:FILE")]
    public string Data { get; init; } = "shapes";

    /// <summary>Resize images to this side length in pixels (required for folders of mixed sizes).</summary>
    [Description("resize images to this side length in pixels (required for folders of mixed sizes)")]
    public int? ImageSize { get; init; }

    /// <summary>For <c>shapes</c>: number of training examples, validation included (the test split stays 2000) (by default 20000).</summary>
    [Description("shapes: number of training examples, validation included (the test split stays 2000) [default: 20000]")]
    public int? Examples { get; init; }

    /// <summary>For <c>shapes</c>, <c>images:DIR</c>, <c>idx:DIR</c> and <c>fashion-mnist</c>: hold the splits in memory (memory), make each batch when it is asked for (stream: rendered, decoded from its files, or read from the memory-mapped IDX file), or stream when a split would exceed the memory limit (auto).</summary>
    [Description("shapes, images:DIR, idx:DIR, fashion-mnist: hold the splits in memory (memory), make each batch when it is asked for: rendered, decoded from its files, or read from the memory-mapped IDX file (stream); or stream when a split would exceed 256 MiB (auto)")]
    public DataStorage Storage { get; init; } = DataStorage.Auto;

    /// <summary>For <c>images:DIR</c> with transparency: composite over <see cref="Background"/> (composite) or keep alpha as the last channel (keep) (by default composite).</summary>
    [Description("images:DIR with transparency: composite over --background (composite) or keep alpha as the last channel (keep) [default: composite]")]
    public AlphaHandling? Alpha { get; init; }

    /// <summary>For <c>images:DIR</c>: the colour transparent pixels are composited over, white or black (by default white).</summary>
    [Description("images:DIR: the colour transparent pixels are composited over, white or black [default: white]")]
    public Background? Background { get; init; }

    /// <summary>CSV column that holds the labels, by header name or 0-based index.</summary>
    [Description("CSV column that holds the labels, by header name or 0-based index")]
    public string? LabelColumn { get; init; }

    /// <summary>For <c>csv:FILE</c>: is the first row a header? yes, no, or auto: a header when one of its cells is not a number in a column whose other cells are all numbers, or when none of its cells is a number.</summary>
    [Description("csv:FILE: is the first row a header? yes, no, or auto: a header when one of its cells is not a number in a column whose other cells are all numbers, or when none of its cells is a number")]
    public CsvHeader Header { get; init; } = CsvHeader.Auto;

    /// <summary>Fraction of the training split held out, with the seed, for validation.</summary>
    [Description("fraction of the training split held out, with the seed, for validation")]
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>
    /// Hold out at most this many examples for validation, whatever <see cref="ValidationFraction"/> gives (0: no cap).
    /// A few thousand examples select a checkpoint and calibrate a threshold as well as tens of thousands do, and on a
    /// large set every example kept for training counts (bench/textbook/RESULTS.md measures it).
    /// </summary>
    [Description("hold out at most this many examples for validation, whatever the fraction gives (0: no cap)")]
    public int ValidationLimit { get; init; } = DefaultValidationLimit;

    /// <summary>The default of <see cref="ValidationLimit"/>.</summary>
    public const int DefaultValidationLimit = 2000;

    /// <summary>How many of <paramref name="examples"/> are held out for validation: the fraction, capped by the limit.</summary>
    public int ValidationCount(int examples) => HeldOut(examples, ValidationFraction, ValidationLimit);

    /// <summary>
    /// <paramref name="fraction"/> of <paramref name="items"/>, rounded, and at most <paramref name="limit"/> when it is positive:
    /// the one rule for the size of a hold-out, of examples or of text windows alike.
    /// </summary>
    internal static int HeldOut(double items, double fraction, int limit)
    {
        int count = (int)Math.Round(items * fraction);
        return limit > 0 ? Math.Min(count, limit) : count;
    }

    /// <summary>Keep only these labels in the training and validation splits, by id or name (e.g. 0,3); the test split keeps them all.</summary>
    [Description("keep only these labels in the training and validation splits, by id or name (e.g. 0,3); the test split keeps them all")]
    public string? Classes { get; init; }

    /// <summary>Use at most this many training examples, for quick runs.</summary>
    [Description("use at most this many training examples, for quick runs")]
    public int? Limit { get; init; }

    /// <summary>For <c>text:FILE</c>, the tokens: char (every character) or word (words and punctuation marks).</summary>
    [Description("text:FILE tokens: char (every character) or word (words and punctuation marks)")]
    public TokenLevel Tokens { get; init; } = TokenLevel.Char;

    /// <summary>For <c>text:FILE</c>: tokens per example.</summary>
    [Description("text:FILE: tokens per example")]
    public int Window { get; init; } = 64;

    /// <summary>For <c>text:FILE</c>: tokens between the starts of consecutive training windows (by default the window, no overlap).</summary>
    [Description("text:FILE: tokens between the starts of consecutive training windows [default: the window, no overlap]")]
    public int? Stride { get; init; }

    /// <summary>For <c>text:FILE</c>: keep only the most frequent tokens, this many ids in all; the rest become [UNK].</summary>
    [Description("text:FILE: keep only the most frequent tokens, this many ids in all; the rest become [UNK]")]
    public int? MaxVocabulary { get; init; }

    /// <summary>
    /// text:FILE: the vocabulary fixed when the run was trained ([UNK], [MASK], then tokens by id).
    /// Not a command-line option: <see cref="DataCatalog.Resolve"/> fills it in and the manifest keeps
    /// it, so that a saved run maps any text to the same ids.
    /// </summary>
    public IReadOnlyList<string>? Vocabulary { get; init; }

    /// <summary>The kind of source <see cref="Data"/> names: shapes, fashion-mnist, idx, images, csv or text.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Source => Data.Split(':', 2)[0].Trim().ToLowerInvariant();

    /// <summary>
    /// Which options apply to the source: image sizes to folders of images, label columns and the header rule
    /// to CSV, token windows to text, a selection of classes to every source with labels.
    /// </summary>
    public bool Uses(string property) => property switch
    {
        nameof(ImageSize) => Source == "images",
        nameof(LabelColumn) or nameof(Header) => Source == "csv",
        nameof(Classes) => Source == "csv" ? LabelColumn is not null : Source != "text",
        nameof(Examples) => Source == "shapes",
        nameof(Storage) => Source is "shapes" or "images" or "fashion-mnist" or "idx",
        nameof(Alpha) or nameof(Background) => Source == "images",
        nameof(Tokens) or nameof(Window) or nameof(Stride) or nameof(MaxVocabulary) or nameof(Vocabulary) => Source == "text",
        _ => true,
    };

    /// <summary>Throws a <see cref="UserInputException"/> naming the first option that is out of its range or does not apply to <see cref="Data"/>'s source.</summary>
    public void Validate()
    {
        var defaults = new DataOptions();
        foreach (var property in typeof(DataOptions).GetProperties().Where(p => p.CanWrite && !Uses(p.Name)))
            if (!Equals(property.GetValue(this), property.GetValue(defaults)))
                throw new UserInputException($"{property.Name} does not apply to {nameof(Data)} {Data}; drop it", property.Name, nameof(Data));
        if (string.IsNullOrWhiteSpace(Data))
            throw new UserInputException($"{nameof(Data)} is empty; pass shapes, fashion-mnist, idx:DIR, images:DIR, csv:FILE or text:FILE", nameof(Data));
        if (ImageSize is <= 0 or > 4096)
            throw new UserInputException($"{nameof(ImageSize)} {ImageSize} is out of range; pass a side length between 1 and 4096 pixels", nameof(ImageSize));
        if (ValidationFraction is < 0 or >= 1 || double.IsNaN(ValidationFraction))
            throw new UserInputException($"{nameof(ValidationFraction)} {ValidationFraction} is out of range; pass a fraction in [0, 1), e.g. 0.1", nameof(ValidationFraction));
        if (ValidationLimit < 0)
            throw new UserInputException($"{nameof(ValidationLimit)} {ValidationLimit} must be zero (no cap) or a number of examples, e.g. {DefaultValidationLimit}", nameof(ValidationLimit));
        if (Classes is not null) ClassSelection.Entries(Classes);
        if (Limit is <= 0)
            throw new UserInputException($"{nameof(Limit)} {Limit} must be positive; pass a number of training examples or leave it out", nameof(Limit));
        if (Examples is <= 0)
            throw new UserInputException($"{nameof(Examples)} {Examples} must be positive; pass a number of shapes to generate, e.g. 50000", nameof(Examples));
        if (Alpha == AlphaHandling.Keep && Background is not null)
            throw new UserInputException($"{nameof(Background)} does not apply with {nameof(Alpha)} keep, which keeps transparency instead of compositing; drop one of them", nameof(Background), nameof(Alpha));
        if (Window is <= 0 or > 100_000)
            throw new UserInputException($"{nameof(Window)} {Window} is out of range; pass a number of tokens per example, e.g. 64", nameof(Window));
        if (Stride is <= 0)
            throw new UserInputException($"{nameof(Stride)} {Stride} must be positive; pass a number of tokens, at most the window, or leave it out", nameof(Stride));
        if (MaxVocabulary is < Latent.Data.Vocabulary.Reserved + 1)
            throw new UserInputException($"{nameof(MaxVocabulary)} {MaxVocabulary} leaves no room for tokens; pass at least {Latent.Data.Vocabulary.Reserved + 1}, e.g. 5000", nameof(MaxVocabulary));
    }
}

/// <summary>What an image folder's transparency becomes.</summary>
public enum AlphaHandling
{
    /// <summary>Composited over <see cref="DataOptions.Background"/>: c·α + b·(1 − α); the images keep 1 or 3 channels.</summary>
    Composite,
    /// <summary>Kept as one more channel after grey or RGB, the colour premultiplied by alpha (c·α, as composited over black).</summary>
    Keep,
}

/// <summary>The colour transparent pixels are composited over.</summary>
public enum Background
{
    /// <summary>Transparent pixels become white (1.0 in every channel).</summary>
    White,
    /// <summary>Transparent pixels become black (0.0).</summary>
    Black,
}
