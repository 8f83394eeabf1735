namespace Latent.Data;

/// <summary>Whether a split is held in memory or streamed: <c>--storage auto|memory|stream</c>.</summary>
public enum DataStorage
{
    /// <summary>Streamed when the split would take more than <see cref="StorageChoice.MemoryLimitBytes"/>, held in memory otherwise.</summary>
    Auto,
    /// <summary>One tensor in memory: every batch is a copy of rows of it.</summary>
    Memory,
    /// <summary>Examples produced batch by batch on request; only the batch in use is in memory.</summary>
    Stream,
}

/// <summary>The automatic choice between holding a split in memory and streaming it.</summary>
public static class StorageChoice
{
    /// <summary>A split larger than this (float32 bytes) is streamed under <see cref="DataStorage.Auto"/>: 256 MiB, about 5 500 images of 64 × 64 in colour.</summary>
    public const long MemoryLimitBytes = 256L << 20;

    /// <summary>Whether <paramref name="count"/> examples of <paramref name="shape"/> are streamed under <paramref name="storage"/>.</summary>
    public static bool Streams(DataStorage storage, long count, DataShape shape) => storage switch
    {
        DataStorage.Memory => false,
        DataStorage.Stream => true,
        _ => count * shape.Size * sizeof(float) > MemoryLimitBytes,
    };
}
