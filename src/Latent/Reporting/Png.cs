using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Latent.Reporting;

/// <summary>A minimal PNG encoder (8-bit grey or RGB, either with alpha, no interlace), enough for figures.</summary>
public static class Png
{
    /// <summary>
    /// Encodes <paramref name="pixels"/> (row-major, <paramref name="channels"/> bytes per pixel: 1 grey,
    /// 2 grey and alpha, 3 RGB, 4 RGBA; alpha not premultiplied, as PNG stores it).
    /// </summary>
    public static byte[] Encode(byte[] pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 2 or 3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels));
        if (pixels.Length != width * height * channels) throw new ArgumentException("pixel count does not match the size", nameof(pixels));
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;                              // bit depth
        header[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 }; // colour type: grey, grey + alpha, RGB, RGBA
        Chunk(output, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = width * channels;
            for (int row = 0; row < height; row++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(pixels, row * stride, stride);
            }
        }
        Chunk(output, "IDAT", compressed.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Writes 8-bit pixels as a PNG file (atomically).</summary>
    /// <param name="path">The file.</param>
    /// <param name="pixels">Row-major pixels, <paramref name="channels"/> bytes each.</param>
    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="channels">1 (grey), 3 (RGB) or 4 (RGBA).</param>
    public static void Save(string path, byte[] pixels, int width, int height, int channels) =>
        AtomicFile.Write(path, stream => stream.Write(Encode(pixels, width, height, channels)));

    static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu);
        output.Write(word);
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of ISO 3309 that PNG chunks carry, continued from <paramref name="crc"/>.</summary>
    static uint Crc32(uint crc, byte[] data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
