using System.ComponentModel;

namespace Latent.Data;

/// <summary>Where the data comes from and how it is prepared; recorded in every run's manifest.</summary>
public sealed record DataOptions
{
    [Description("data source: shapes, fashion-mnist, idx:DIR, images:DIR, csv:FILE or text:FILE")]
    public string Data { get; init; } = "shapes";

    [Description("resize images to this side length in pixels (required for folders of mixed sizes)")]
    public int? ImageSize { get; init; }

    [Description("CSV column that holds the labels, by header name or 0-based index")]
    public string? LabelColumn { get; init; }

    [Description("fraction of the training split held out, with the seed, for validation")]
    public double ValidationFraction { get; init; } = 0.1;

    [Description("use at most this many training examples, for quick runs")]
    public int? Limit { get; init; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Data))
            throw new UserInputException("--data is empty; pass shapes, fashion-mnist, idx:DIR, images:DIR, csv:FILE or text:FILE");
        if (ImageSize is <= 0 or > 4096)
            throw new UserInputException($"--image-size {ImageSize} is out of range; pass a side length between 1 and 4096 pixels");
        if (ValidationFraction is < 0 or >= 1 || double.IsNaN(ValidationFraction))
            throw new UserInputException($"--validation-fraction {ValidationFraction} is out of range; pass a fraction in [0, 1), e.g. 0.1");
        if (Limit is <= 0)
            throw new UserInputException($"--limit {Limit} must be positive; pass a number of training examples or leave it out");
    }
}
