using System.Buffers.Binary;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// Discrete codes (of any <see cref="IDiscreteCodes"/> model, e.g. a VQ-VAE) packed at b = ⌈log2 K⌉ bits each: a small self-describing binary file (<c>.vq</c>).
/// <para>
/// Layout, little-endian: magic <c>LVQC</c> (4 bytes), version u16 = 1, heads L u16, codebook size
/// K u32, bits per code b u8, grid rank r u8 (1: slots, 2: h × w), reserved u16 = 0, the r grid
/// sides u32, example count N u64; then N·P·L codes (P = the product of the grid sides), example by
/// example, position by position in row-major order, head by head, as one stream of b-bit fields
/// starting at the least significant bit of each byte, the last byte padded with zero bits.
/// </para>
/// A reader checks every header field and that the file holds exactly the payload the header
/// announces before it allocates anything.
/// </summary>
public static class PackedCodes
{
    static readonly byte[] Magic = "LVQC"u8.ToArray();
    const ushort Version = 1;
    const int FixedHeaderBytes = 16;
    const int MaxGridSide = 1 << 16;

    /// <summary>What a <c>.vq</c> file holds.</summary>
    /// <param name="CodebookSize">K.</param>
    /// <param name="Heads">L, codes per position.</param>
    /// <param name="Grid">The latent grid: [h, w] or [slots].</param>
    /// <param name="Codes">[N, P, L] int64, each in [0, K).</param>
    public sealed record Content(int CodebookSize, int Heads, int[] Grid, Tensor Codes);

    /// <summary>⌈log2 K⌉.</summary>
    public static int BitsPerCode(int codebookSize) => DiscreteCodes.BitsPerCode(codebookSize);

    /// <summary>Writes codes [N, P, L] atomically.</summary>
    public static void Write(string path, int codebookSize, int heads, IReadOnlyList<int> grid, Tensor codes)
    {
        int positions = grid.Aggregate(1, (a, b) => a * b);
        if (codes.dim() != 3 || codes.shape[1] != positions || codes.shape[2] != heads)
            throw new ArgumentException($"codes [{string.Join(", ", codes.shape)}] do not match the grid {string.Join("×", grid)} with {heads} heads");
        int bits = BitsPerCode(codebookSize);
        using var cpu = codes.cpu().to_type(ScalarType.Int64).contiguous();
        var values = cpu.data<long>().ToArray();
        var header = Header(codebookSize, heads, grid, bits, codes.shape[0]);
        var payload = new byte[(values.LongLength * bits + 7) / 8];
        long bit = 0;
        foreach (long value in values)
        {
            if (value < 0 || value >= codebookSize) throw new ArgumentException($"code {value} is outside [0, {codebookSize})");
            for (int i = 0; i < bits; i++, bit++)
                if ((value >> i & 1) != 0) payload[bit >> 3] |= (byte)(1 << (int)(bit & 7));
        }
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            stream.Write(payload);
        });
    }

    /// <summary>Reads a <c>.vq</c> file; a file that is not one, or is damaged, is a <see cref="UserInputException"/>.</summary>
    public static Content Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"'{path}' does not exist; pass a .vq file written by 'latent encode --out FILE.vq'");
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        var fixedHeader = new byte[FixedHeaderBytes];
        if (length < FixedHeaderBytes || stream.Read(fixedHeader) != FixedHeaderBytes || !fixedHeader.AsSpan(0, 4).SequenceEqual(Magic))
            throw Damaged(path, "it does not start with the LVQC header of a .vq file");
        var span = fixedHeader.AsSpan();
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != Version)
            throw new UserInputException($"'{path}' is a .vq file of version {version}, which this Latent cannot read (it reads version {Version}); encode it again with this version");
        int heads = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
        uint codebookSize = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        int bits = span[12], rank = span[13];
        if (codebookSize is < 2 or > Models.VectorQuantized.VqOptions.MaxCodebookSize) throw Damaged(path, $"its codebook size {codebookSize} is out of range");
        if (heads < 1) throw Damaged(path, "it has no heads");
        if (bits != BitsPerCode((int)codebookSize)) throw Damaged(path, $"it stores {bits} bits per code where K = {codebookSize} needs {BitsPerCode((int)codebookSize)}");
        if (rank is not (1 or 2)) throw Damaged(path, $"its grid has rank {rank}, not 1 or 2");

        var rest = new byte[4 * rank + 8];
        if (length < FixedHeaderBytes + rest.Length || stream.Read(rest) != rest.Length) throw Damaged(path, "its header is cut short");
        var grid = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            uint side = BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(4 * i));
            if (side is < 1 or > MaxGridSide) throw Damaged(path, $"its grid side {side} is out of range");
            grid[i] = (int)side;
        }
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(rest.AsSpan(4 * rank));
        long positions = grid.Aggregate(1L, (a, b) => a * b);
        // Sizes are checked against the file before anything is allocated: a corrupt count cannot ask for terabytes.
        long available = length - FixedHeaderBytes - rest.Length;
        long codesPerExample = positions * heads;
        if (codesPerExample > int.MaxValue || count > (ulong)(available * 8 / Math.Max(1, codesPerExample * bits)) + 1)
            throw Damaged(path, $"its header announces {count} examples, more than the file holds");
        long total = (long)count * codesPerExample;
        long expected = (total * bits + 7) / 8;
        if (available != expected)
            throw Damaged(path, $"it holds {available} bytes of codes where its header announces {expected} ({count} examples of {codesPerExample} codes × {bits} bits)");

        var payload = new byte[expected];
        stream.ReadExactly(payload);
        var values = new long[total];
        long bit = 0;
        for (long n = 0; n < total; n++)
        {
            long value = 0;
            for (int i = 0; i < bits; i++, bit++)
                value |= (long)(payload[bit >> 3] >> (int)(bit & 7) & 1) << i;
            if (value >= codebookSize) throw Damaged(path, $"code {value} at position {n} is not below K = {codebookSize}");
            values[n] = value;
        }
        return new Content((int)codebookSize, heads, grid, tensor(values).reshape((long)count, positions, heads));
    }

    /// <summary>Writes the codes of every example of <paramref name="data"/> under <paramref name="model"/>; returns the file's size in bytes.</summary>
    public static long Encode(IDiscreteCodes model, Data.Dataset data, string path)
    {
        using var codes = DiscreteCodes.Of(model, data);
        Write(path, model.CodebookSize, model.Heads, model.Grid, codes);
        return new FileInfo(path).Length;
    }

    /// <summary>Reads a <c>.vq</c> file and decodes it with <paramref name="model"/>, which must have written it: x̂ [N, ...shape].</summary>
    public static Tensor Decode(IDiscreteCodes model, string path)
    {
        var content = Read(path);
        using var codes = content.Codes;
        if (content.CodebookSize != model.CodebookSize || content.Heads != model.Heads || !content.Grid.SequenceEqual(model.Grid))
            throw new UserInputException(
                $"'{path}' holds codes of a model with K = {content.CodebookSize}, {content.Heads} heads on a {string.Join("×", content.Grid)} grid, but this run has K = {model.CodebookSize}, {model.Heads} heads on {string.Join("×", model.Grid)}; pass the --run that encoded it");
        return Batched.Apply(model.DecodeCodes, codes);
    }

    static byte[] Header(int codebookSize, int heads, IReadOnlyList<int> grid, int bits, long count)
    {
        var header = new byte[FixedHeaderBytes + 4 * grid.Count + 8];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], checked((ushort)heads));
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], checked((uint)codebookSize));
        span[12] = (byte)bits;
        span[13] = (byte)grid.Count;
        for (int i = 0; i < grid.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(span[(FixedHeaderBytes + 4 * i)..], checked((uint)grid[i]));
        BinaryPrimitives.WriteUInt64LittleEndian(span[(FixedHeaderBytes + 4 * grid.Count)..], checked((ulong)count));
        return header;
    }

    static UserInputException Damaged(string path, string problem) =>
        new($"'{path}' is not a readable .vq file: {problem}; encode it again with 'latent encode --out FILE.vq'");
}
