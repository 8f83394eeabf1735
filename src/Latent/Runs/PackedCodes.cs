using System.Buffers.Binary;
using System.Numerics;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// Discrete codes (of any <see cref="IDiscreteCodes"/> model, e.g. a VQ-VAE) packed into a small self-describing binary file (<c>.vq</c>).
/// <para>
/// Version 1 (learned codebooks, <c>--quantizer vq</c>), little-endian: magic <c>LVQC</c> (4 bytes), version u16 = 1,
/// heads L u16, codebook size K u32, bits per code b = ⌈log2 K⌉ u8, grid rank r u8 (1: slots, 2: h × w),
/// reserved u16 = 0, the r grid sides u32, example count N u64; then N·P·L codes (P = the product of the grid
/// sides), example by example, position by position in row-major order, head by head, as one stream of b-bit
/// fields starting at the least significant bit of each byte, the last byte padded with zero bits.
/// </para>
/// <para>
/// Version 2 (every other quantizer): the same, except that the two reserved bytes hold the quantizer (u8: 1 fsq,
/// 2 lfq, 3 rvq) and its stages S (u8), L counts heads (the codes of a position are S·L, stage by stage), and after
/// N comes the levels block: a count u8 and that many levels u16 (FSQ's; their product is K). With levels, b = 0
/// and each example's S·L·P codes c_j are stored together as one mixed-radix integer Σ_j c_j·K^j in exactly
/// ⌈P·S·L·log2 K⌉ bits (the bit length of K^(P·S·L) − 1), example after example in one bit stream: that is the
/// exact product of the levels, not ⌈log2 K⌉ bits for every code. Without levels, b-bit fields as in version 1.
/// </para>
/// A reader checks every header field and that the file holds exactly the payload the header
/// announces before it allocates anything, and <see cref="Decode"/> refuses codes of another code space or grid.
/// </summary>
public static class PackedCodes
{
    static readonly byte[] Magic = "LVQC"u8.ToArray();
    const ushort LearnedVersion = 1, Version = 2;
    const int FixedHeaderBytes = 16;
    const int MaxGridSide = 1 << 16;

    /// <summary>What a <c>.vq</c> file holds.</summary>
    /// <param name="Space">What the codes are: quantizer, heads, stages, K, levels.</param>
    /// <param name="Grid">The latent grid: [h, w] or [slots].</param>
    /// <param name="Codes">[N, P, C] int64, each in [0, K), C = <see cref="CodeSpace.CodesPerPosition"/>.</param>
    public sealed record Content(CodeSpace Space, int[] Grid, Tensor Codes)
    {
        /// <summary>K.</summary>
        public int CodebookSize => Space.CodebookSize;

        /// <summary>Codes per position (the heads, times the stages of a residual quantizer).</summary>
        public int Heads => Space.CodesPerPosition;
    }

    /// <summary>⌈log2 K⌉.</summary>
    public static int BitsPerCode(int codebookSize) => DiscreteCodes.BitsPerCode(codebookSize);

    /// <summary>Writes codes [N, P, L] of a learned codebook of K codes (version 1) atomically.</summary>
    public static void Write(string path, int codebookSize, int heads, IReadOnlyList<int> grid, Tensor codes) =>
        Write(path, new CodeSpace(QuantizerKind.Vq, heads, 1, codebookSize), grid, codes);

    /// <summary>Writes codes [N, P, C] of <paramref name="space"/> atomically: version 1 for vq, else version 2.</summary>
    public static void Write(string path, CodeSpace space, IReadOnlyList<int> grid, Tensor codes)
    {
        int positions = grid.Aggregate(1, (a, b) => a * b), perPosition = space.CodesPerPosition;
        if (codes.dim() != 3 || codes.shape[1] != positions || codes.shape[2] != perPosition)
            throw new ArgumentException($"codes [{string.Join(", ", codes.shape)}] do not match the grid {string.Join("×", grid)} with {perPosition} codes per position");
        using var cpu = codes.cpu().to_type(ScalarType.Int64).contiguous();
        var values = cpu.data<long>().ToArray();
        foreach (long value in values)
            if (value < 0 || value >= space.CodebookSize) throw new ArgumentException($"code {value} is outside [0, {space.CodebookSize})");
        long count = codes.shape[0];
        var header = Header(space, grid, count);
        var payload = space.MixedRadix
            ? MixedRadixPayload(values, count, (long)positions * perPosition, space.CodebookSize, space.BitsPerExample(positions))
            : BitFieldPayload(values, space.BitsPerCode);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(header);
            stream.Write(payload);
        });
    }

    /// <summary>Reads a <c>.vq</c> file; a file that is not one, or is damaged, is a <see cref="UserInputException"/>.</summary>
    public static Content Read(string path)
    {
        UserPaths.RequireFile(path, "codes file", "pass a .vq file written by encoding with the run (PackedCodes.Encode)");
        try
        {
            using var stream = File.OpenRead(path);
            return Read(stream, path);
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, "check the file, or wait for the process that holds it");
        }
    }

    static Content Read(FileStream stream, string path)
    {
        long length = stream.Length;
        var fixedHeader = new byte[FixedHeaderBytes];
        if (length < FixedHeaderBytes || stream.Read(fixedHeader) != FixedHeaderBytes || !fixedHeader.AsSpan(0, 4).SequenceEqual(Magic))
            throw Damaged(path, "it does not start with the LVQC header of a .vq file");
        var span = fixedHeader.AsSpan();
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version is not (LearnedVersion or Version))
            throw new UserInputException($"'{path}' is a .vq file of version {version}, which this Latent cannot read (it reads versions {LearnedVersion} and {Version}); encode it again with this version");
        int heads = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
        uint codebookSize = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        int bits = span[12], rank = span[13];
        int quantizer = version == LearnedVersion ? 0 : span[14], stages = version == LearnedVersion ? 1 : span[15];
        if (codebookSize is < 2 or > Models.VectorQuantized.VqOptions.MaxCodebookSize) throw Damaged(path, $"its codebook size {codebookSize} is out of range");
        if (heads < 1) throw Damaged(path, "it has no heads");
        if (!Enum.IsDefined((QuantizerKind)quantizer)) throw Damaged(path, $"its quantizer {quantizer} is unknown");
        if (stages < 1) throw Damaged(path, "it has no stages");
        if (rank is not (1 or 2)) throw Damaged(path, $"its grid has rank {rank}, not 1 or 2");

        var rest = new byte[4 * rank + 8 + (version == LearnedVersion ? 0 : 1)];
        if (length < FixedHeaderBytes + rest.Length || stream.Read(rest) != rest.Length) throw Damaged(path, "its header is cut short");
        var grid = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            uint side = BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(4 * i));
            if (side is < 1 or > MaxGridSide) throw Damaged(path, $"its grid side {side} is out of range");
            grid[i] = (int)side;
        }
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(rest.AsSpan(4 * rank));
        var levels = new int[version == LearnedVersion ? 0 : rest[^1]];
        if (levels.Length > 0)
        {
            var levelBytes = new byte[2 * levels.Length];
            if (stream.Read(levelBytes) != levelBytes.Length) throw Damaged(path, "its levels are cut short");
            for (int i = 0; i < levels.Length; i++) levels[i] = BinaryPrimitives.ReadUInt16LittleEndian(levelBytes.AsSpan(2 * i));
            if (levels.Any(level => level < 2) || levels.Aggregate(1L, (product, level) => product * level) != codebookSize)
                throw Damaged(path, $"its levels {string.Join(",", levels)} do not multiply to K = {codebookSize}");
        }
        if ((quantizer == (int)QuantizerKind.Fsq) != (levels.Length > 0))
            throw Damaged(path, $"a {((QuantizerKind)quantizer).ToString().ToLowerInvariant()} file {(levels.Length > 0 ? "has" : "lacks")} levels");
        int expectedBits = levels.Length > 0 ? 0 : BitsPerCode((int)codebookSize);
        if (bits != expectedBits) throw Damaged(path, $"it stores {bits} bits per code where K = {codebookSize} needs {expectedBits}");
        var space = new CodeSpace((QuantizerKind)quantizer, heads, stages, (int)codebookSize, levels);

        long positions = grid.Aggregate(1L, (a, b) => a * b);
        long codesPerExample = positions * space.CodesPerPosition;
        long header = FixedHeaderBytes + rest.Length + 2L * levels.Length;
        // Sizes are checked against the file before anything is allocated: a corrupt count cannot ask for terabytes.
        long available = length - header;
        if (codesPerExample > 1 << 20) throw Damaged(path, $"its examples have {codesPerExample} codes each, more than any model writes");
        long bitsPerExample = space.BitsPerExample((int)positions);
        if (count > (ulong)(available * 8 / Math.Max(1, bitsPerExample)) + 1)
            throw Damaged(path, $"its header announces {count} examples, more than the file holds");
        long expected = ((long)count * bitsPerExample + 7) / 8;
        if (available != expected)
            throw Damaged(path, $"it holds {available} bytes of codes where its header announces {expected} ({count} examples of {codesPerExample} codes, {bitsPerExample} bits each)");

        var payload = new byte[expected];
        stream.ReadExactly(payload);
        var values = space.MixedRadix
            ? ReadMixedRadix(path, payload, (long)count, codesPerExample, space.CodebookSize, bitsPerExample)
            : ReadBitFields(path, payload, (long)count * codesPerExample, bits, space.CodebookSize);
        return new Content(space, grid, tensor(values).reshape((long)count, positions, space.CodesPerPosition));
    }

    /// <summary>Writes the codes of every example of <paramref name="data"/> under <paramref name="model"/>; returns the file's size in bytes.</summary>
    public static long Encode(IDiscreteCodes model, Data.Dataset data, string path)
    {
        using var codes = DiscreteCodes.Of(model, data);
        Write(path, model.Space, model.Grid, codes);
        return new FileInfo(path).Length;
    }

    /// <summary>Reads a <c>.vq</c> file and decodes it with <paramref name="model"/>, which must have written it: x̂ [N, ...shape].</summary>
    public static Tensor Decode(IDiscreteCodes model, string path)
    {
        var content = Read(path);
        using var codes = content.Codes;
        if (!content.Space.Matches(model.Space) || !content.Grid.SequenceEqual(model.Grid))
            throw new UserInputException(
                $"'{path}' holds codes of {content.Space} on a {string.Join("×", content.Grid)} grid, but this run has {model.Space} on {string.Join("×", model.Grid)}; pass the {LibraryNames.Run} that encoded it", LibraryNames.Run);
        return Batched.Apply(model.DecodeCodes, codes);
    }

    static byte[] Header(CodeSpace space, IReadOnlyList<int> grid, long count)
    {
        bool learned = space.Quantizer == QuantizerKind.Vq && space.Stages == 1 && !space.MixedRadix;
        var header = new byte[FixedHeaderBytes + 4 * grid.Count + 8 + (learned ? 0 : 1 + 2 * space.Levels.Count)];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], learned ? LearnedVersion : Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], checked((ushort)space.Heads));
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], checked((uint)space.CodebookSize));
        span[12] = (byte)(space.MixedRadix ? 0 : space.BitsPerCode);
        span[13] = (byte)grid.Count;
        if (!learned) (span[14], span[15]) = ((byte)space.Quantizer, checked((byte)space.Stages));
        for (int i = 0; i < grid.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(span[(FixedHeaderBytes + 4 * i)..], checked((uint)grid[i]));
        int next = FixedHeaderBytes + 4 * grid.Count;
        BinaryPrimitives.WriteUInt64LittleEndian(span[next..], checked((ulong)count));
        if (learned) return header;
        span[next + 8] = checked((byte)space.Levels.Count);
        for (int i = 0; i < space.Levels.Count; i++) BinaryPrimitives.WriteUInt16LittleEndian(span[(next + 9 + 2 * i)..], checked((ushort)space.Levels[i]));
        return header;
    }

    /// <summary>Every code in <paramref name="bits"/> bits, one stream from the least significant bit of each byte.</summary>
    static byte[] BitFieldPayload(long[] values, int bits)
    {
        var payload = new byte[(values.LongLength * bits + 7) / 8];
        long bit = 0;
        foreach (long value in values)
            for (int i = 0; i < bits; i++, bit++)
                if ((value >> i & 1) != 0) payload[bit >> 3] |= (byte)(1 << (int)(bit & 7));
        return payload;
    }

    static long[] ReadBitFields(string path, byte[] payload, long total, int bits, int codebookSize)
    {
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
        return values;
    }

    /// <summary>Each example's codes c_0 … c_{n−1} as the integer Σ_j c_j·K^j in <paramref name="bitsPerExample"/> bits, one stream.</summary>
    static byte[] MixedRadixPayload(long[] values, long count, long perExample, int codebookSize, long bitsPerExample)
    {
        var payload = new byte[(count * bitsPerExample + 7) / 8];
        for (long example = 0; example < count; example++)
        {
            BigInteger number = BigInteger.Zero;
            for (long j = perExample - 1; j >= 0; j--) number = number * codebookSize + values[example * perExample + j]; // Horner
            var bytes = number.ToByteArray(isUnsigned: true, isBigEndian: false);
            long bit = example * bitsPerExample;
            for (long i = 0; i < bitsPerExample; i++, bit++)
                if (i >> 3 < bytes.Length && (bytes[i >> 3] >> (int)(i & 7) & 1) != 0) payload[bit >> 3] |= (byte)(1 << (int)(bit & 7));
        }
        return payload;
    }

    static long[] ReadMixedRadix(string path, byte[] payload, long count, long perExample, int codebookSize, long bitsPerExample)
    {
        var values = new long[count * perExample];
        var bytes = new byte[(bitsPerExample + 7) / 8];
        for (long example = 0; example < count; example++)
        {
            Array.Clear(bytes);
            long bit = example * bitsPerExample;
            for (long i = 0; i < bitsPerExample; i++, bit++)
                if ((payload[bit >> 3] >> (int)(bit & 7) & 1) != 0) bytes[i >> 3] |= (byte)(1 << (int)(i & 7));
            var number = new BigInteger(bytes, isUnsigned: true, isBigEndian: false);
            for (long j = 0; j < perExample; j++)
            {
                number = BigInteger.DivRem(number, codebookSize, out var digit);
                values[example * perExample + j] = (long)digit;
            }
            if (!number.IsZero) throw Damaged(path, $"example {example} holds a number beyond its {perExample} codes of K = {codebookSize}");
        }
        return values;
    }

    static UserInputException Damaged(string path, string problem) =>
        new($"'{path}' is not a readable .vq file: {problem}; encode it again (PackedCodes.Encode)");
}
