using System.Text.Json.Serialization;

namespace Latent.Data;

/// <summary>What one example looks like.</summary>
public enum DataKind
{
    /// <summary>Pixels in [0, 1], laid out [C, H, W].</summary>
    Image,
    /// <summary>A row of real-valued features, laid out [F].</summary>
    Table,
    /// <summary>A window of token ids in [0, V), laid out [T].</summary>
    Tokens,
}

/// <summary>The shape of one example, shared by the data and the models built for it.</summary>
public sealed record DataShape
{
    /// <summary>What one example is: an image [C, H, W], a table row [F] or a window of token ids [T].</summary>
    public required DataKind Kind { get; init; }
    /// <summary>Image channels (1 grey, 3 colour); 1 for other kinds.</summary>
    public int Channels { get; init; } = 1;
    /// <summary>Image height; 1 for other kinds.</summary>
    public int Height { get; init; } = 1;
    /// <summary>Image width, table features or token window length.</summary>
    public int Width { get; init; } = 1;

    /// <summary>(channels, height, width), as the layers of Nn take an image's size.</summary>
    [JsonIgnore]
    public (int Channels, int Height, int Width) ImageSize => (Channels, Height, Width);
    /// <summary>Number of distinct tokens (token data only).</summary>
    public int VocabularySize { get; init; }

    /// <summary>Images of <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> pixels, values in [0, 1].</summary>
    /// <param name="channels">1 for grey, 3 for colour (4 when alpha is kept).</param>
    /// <param name="height">Rows of pixels.</param>
    /// <param name="width">Columns of pixels.</param>
    public static DataShape Image(int channels, int height, int width) =>
        new() { Kind = DataKind.Image, Channels = channels, Height = height, Width = width };

    /// <summary>Table rows of <paramref name="features"/> numbers each.</summary>
    /// <param name="features">Columns of the table, the label column excluded.</param>
    public static DataShape Table(int features) => new() { Kind = DataKind.Table, Width = features };

    /// <summary>Windows of <paramref name="length"/> token ids in [0, <paramref name="vocabularySize"/>).</summary>
    /// <param name="length">Tokens per example (the window).</param>
    /// <param name="vocabularySize">Number of distinct ids, the reserved ones included.</param>
    public static DataShape Tokens(int length, int vocabularySize) =>
        new() { Kind = DataKind.Tokens, Width = length, VocabularySize = vocabularySize };

    /// <summary>Elements in one example: C·H·W, F or T.</summary>
    [JsonIgnore]
    public int Size => Channels * Height * Width;

    /// <summary>The dimensions of one example as a tensor lays them out.</summary>
    [JsonIgnore]
    public long[] Dimensions => Kind == DataKind.Image ? [Channels, Height, Width] : [Width];

    /// <summary>Whether values live in [0, 1], so that a decoder should end in a sigmoid.</summary>
    [JsonIgnore]
    public bool IsUnitRange => Kind == DataKind.Image;

    /// <summary>The shape as a reader says it: "1×28×28 images", "12-feature table rows", "64-token windows".</summary>
    public override string ToString() => Kind switch
    {
        DataKind.Image => $"{Channels}×{Height}×{Width} images",
        DataKind.Table => $"rows of {Width} features",
        _ => $"windows of {Width} tokens from a vocabulary of {VocabularySize}",
    };
}
