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

    public static DataShape Image(int channels, int height, int width) =>
        new() { Kind = DataKind.Image, Channels = channels, Height = height, Width = width };

    public static DataShape Table(int features) => new() { Kind = DataKind.Table, Width = features };

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

    public override string ToString() => Kind switch
    {
        DataKind.Image => $"{Channels}×{Height}×{Width} images",
        DataKind.Table => $"rows of {Width} features",
        _ => $"windows of {Width} tokens from a vocabulary of {VocabularySize}",
    };
}
