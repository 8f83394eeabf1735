using System.Buffers.Binary;
using System.IO.Compression;
using static TorchSharp.torch;

namespace Latent.Data.Sources;

/// <summary>
/// MNIST-format IDX files (LeCun et al.): <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
/// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each raw or gzip-compressed.
/// The header is checked against the file before anything is allocated.
/// </summary>
public static class IdxSource
{
    /// <summary>The ten Fashion-MNIST classes by label id (T-shirt/top, trouser, ..., ankle boot), as Xiao et al. 2017 name them.</summary>
    public static readonly string[] FashionMnistLabelNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Bytes one IDX file may declare: far above any real set, well below what would exhaust memory.</summary>
    const long MaxPayload = 1L << 31;

    /// <summary>
    /// The train and test splits of the folder's IDX files, held in memory, or, when <paramref name="storage"/>
    /// says so (by default past <see cref="StorageChoice.MemoryLimitBytes"/>), read batch by batch from the
    /// memory-mapped file: a raw file in place, a gzip one from its decompressed <see cref="PreparedCache"/> copy.
    /// </summary>
    /// <param name="directory">The folder of the four IDX files (MNIST layout: train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...).</param>
    /// <param name="labelNames">Names of the classes by id, or null.</param>
    /// <param name="storage">Whether the splits are held in memory or streamed.</param>
    public static (Dataset Train, Dataset Test) Load(string directory, IReadOnlyList<string>? labelNames, DataStorage storage = DataStorage.Memory)
    {
        UserPaths.RequireDirectory(directory, "data folder", "pass idx:DIR with the folder that holds train-images-idx3-ubyte[.gz]");
        return (LoadSplit(directory, "train", labelNames, storage), LoadSplit(directory, "t10k", labelNames, storage));
    }

    static Dataset LoadSplit(string directory, string prefix, IReadOnlyList<string>? labelNames, DataStorage storage)
    {
        var imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte")
            ?? throw new UserInputException($"'{directory}' has no {prefix}-images-idx3-ubyte[.gz]; pass idx:DIR with a complete MNIST-format set");
        var imageDims = WithErrors(imagesPath, () => { using var opened = Open(imagesPath); return opened.Dimensions; });
        if (imageDims.Length != 3)
            throw new UserInputException($"'{imagesPath}' holds a {imageDims.Length}-dimensional array, not images [N, H, W]; check the file name");
        int count = imageDims[0], height = imageDims[1], width = imageDims[2];
        var shape = DataShape.Image(1, height, width);

        int[]? labels = null;
        if (Find(directory, $"{prefix}-labels-idx1-ubyte") is string labelsPath)
        {
            var (labelDims, labelBytes) = Read(labelsPath);
            if (labelDims.Length != 1 || labelDims[0] != count)
                throw new UserInputException(
                    $"'{labelsPath}' holds {string.Join("×", labelDims)} labels for {count} images; use the label file that belongs to '{Path.GetFileName(imagesPath)}'");
            labels = labelBytes.Select(b => (int)b).ToArray();
        }

        if (StorageChoice.Streams(storage, count, shape))
            return new Dataset(Mapped(imagesPath, count, [1, height, width]), shape, labels, labelNames);
        var (_, pixels) = Read(imagesPath);
        using var raw = tensor(pixels, [count, 1, height, width], ScalarType.Byte);
        var features = raw.to(ScalarType.Float32).div_(255f);
        return new Dataset(features, shape, labels, labelNames);
    }

    /// <summary>The file's examples memory-mapped: a raw file past its header, a gzip one through its decompressed prepared copy.</summary>
    static MappedBytes Mapped(string path, int count, long[] dimensions)
    {
        using var opened = WithErrors(path, () => Open(path));
        if (!opened.Gzip) return new MappedBytes(path, opened.HeaderBytes, count, dimensions);
        long payload = opened.Dimensions.Aggregate(1L, (product, d) => product * d);
        var copy = PreparedCache.For(path, "idx-" + Path.GetFileNameWithoutExtension(path), payload, target =>
        {
            try { opened.Payload.CopyTo(target); }
            catch (InvalidDataException error) { throw Corrupt(path, $"is not valid gzip ({UserPaths.Reason(error)})"); }
            if (target.Length < payload) throw Corrupt(path, "ends in the middle of its data; it is truncated");
        });
        return new MappedBytes(copy, 0, count, dimensions);
    }

    /// <summary>The raw or gzip file of that name in the folder, or null; a folder of that name is in the way.</summary>
    static string? Find(string directory, string name)
    {
        var candidates = new[] { name, name + ".gz" }.Select(file => Path.Combine(directory, file)).ToArray();
        if (candidates.FirstOrDefault(Directory.Exists) is string folder)
            throw new UserInputException($"'{folder}' is a folder, not a file; pass idx:DIR with the MNIST-format files themselves");
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Reads one IDX file of unsigned bytes: (dimensions, payload).</summary>
    public static (int[] Dimensions, byte[] Payload) Read(string path) => WithErrors(path, () =>
    {
        using var opened = Open(path);
        var data = new byte[opened.Dimensions.Aggregate(1L, (product, d) => product * d)];
        ReadExactly(opened.Payload, data, path, "its data");
        return (opened.Dimensions, data);
    });

    /// <summary>An IDX file opened at its first payload byte, its header checked against the file's size.</summary>
    sealed record Opened(int[] Dimensions, long HeaderBytes, bool Gzip, Stream Payload) : IDisposable
    {
        public void Dispose() => Payload.Dispose();
    }

    static Opened Open(string path)
    {
        var file = File.OpenRead(path);
        try
        {
            bool gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
            long available = gzip ? GzipDeclaredSize(file) : file.Length;
            file.Position = 0;
            var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;

            Span<byte> magic = stackalloc byte[4];
            ReadExactly(stream, magic, path, "its header");
            if (magic[0] != 0 || magic[1] != 0)
                throw Corrupt(path, "does not start with the IDX magic number");
            if (magic[2] != 0x08)
                throw Corrupt(path, $"stores element type 0x{magic[2]:x2}; only unsigned bytes (0x08) are supported");
            int rank = magic[3];
            if (rank is < 1 or > 4) throw Corrupt(path, $"declares {rank} dimensions");

            var dims = new int[rank];
            Span<byte> word = stackalloc byte[4];
            long payload = 1;
            for (int i = 0; i < rank; i++)
            {
                ReadExactly(stream, word, path, "its header");
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
                if (dims[i] <= 0) throw Corrupt(path, $"declares dimension {i} as {dims[i]}");
                payload *= dims[i];
                if (payload > MaxPayload) throw Corrupt(path, "declares more than 2 GiB of data");
            }
            long header = 4 + 4L * rank;
            if (payload > available - header)
                throw Corrupt(path, $"declares {payload} bytes of data but holds only {Math.Max(0, available - header)}; it is truncated");
            return new Opened(dims, header, gzip, stream);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/> on <paramref name="path"/> with its failures as one-line user errors.</summary>
    static T WithErrors<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException error)
        {
            throw Corrupt(path, $"is not valid gzip ({UserPaths.Reason(error)})");
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, "check the file, or wait for the process that holds it");
        }
    }

    /// <summary>The uncompressed size a gzip file declares in its last four bytes (ISIZE, modulo 2³²).</summary>
    static long GzipDeclaredSize(FileStream file)
    {
        if (file.Length < 18) return 0;
        Span<byte> trailer = stackalloc byte[4];
        file.Position = file.Length - 4;
        file.ReadExactly(trailer);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        // ISIZE wraps at 4 GiB; anything we accept is below 2 GiB, so a small ISIZE is the true size.
        return size;
    }

    static void ReadExactly(Stream stream, Span<byte> buffer, string path, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0) throw Corrupt(path, $"ends in the middle of {what}; it is truncated");
            total += read;
        }
    }

    static UserInputException Corrupt(string path, string problem) =>
        new($"'{path}' {problem}; replace it with an intact MNIST-format IDX file");
}
