// Generates images from random latents with a decoder that 'latent export' wrote, using ONNX Runtime alone.
// usage: dotnet run -- EXPORT_DIR OUT.png [COUNT] [SEED]
using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

if (args.Length < 2) { Console.Error.WriteLine("usage: OnnxDecoder EXPORT_DIR OUT.png [COUNT] [SEED]"); return 2; }
int count = args.Length > 2 ? int.Parse(args[2]) : 16, seed = args.Length > 3 ? int.Parse(args[3]) : 0;
var export = JsonNode.Parse(File.ReadAllText(Path.Combine(args[0], "export.json")))!;
var input = export["graphs"]!["decoder"]!["inputs"]![0]!;
var outputShape = export["graphs"]!["decoder"]!["outputs"]![0]!["shape"]!.AsArray().Skip(1).Select(d => (int)d!).ToArray();
if (outputShape.Length != 3) { Console.Error.WriteLine("this decoder does not produce images [C, H, W]"); return 2; }
var latentShape = new[] { count }.Concat(input["shape"]!.AsArray().Skip(1).Select(d => (int)d!)).ToArray();
int latentSize = latentShape.Skip(1).Aggregate(1, (a, b) => a * b);
var random = new Random(seed);
NamedOnnxValue latent = (string)input["dtype"]! == "int64"
    // a VQ-VAE's codes: uniform in [0, K)
    ? NamedOnnxValue.CreateFromTensor((string)input["name"]!, new DenseTensor<long>(Enumerable.Range(0, count * latentSize)
        .Select(_ => (long)random.Next((int)export["latent_prior"]!["codebook_size"]!)).ToArray(), latentShape))
    // z ~ N(0, I) by Box–Muller
    : NamedOnnxValue.CreateFromTensor((string)input["name"]!, new DenseTensor<float>(Enumerable.Range(0, count * latentSize)
        .Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray(), latentShape));
using var session = new InferenceSession(Path.Combine(args[0], "decoder.onnx"));
using var results = session.Run([latent]);
var images = results[0].AsTensor<float>().ToArray();            // [count, C, H, W], pixels in [0, 1]
int channels = outputShape[0], height = outputShape[1], width = outputShape[2];
int columns = (int)Math.Ceiling(Math.Sqrt(count)), rows = (count + columns - 1) / columns;
int gridWidth = columns * (width + 1) + 1, gridHeight = rows * (height + 1) + 1;
var pixels = new byte[gridHeight * gridWidth * channels];          // a 1-pixel black border between tiles
for (int n = 0; n < count; n++)
for (int c = 0; c < channels; c++)
for (int y = 0; y < height; y++)
for (int x = 0; x < width; x++)
{
    int row = 1 + n / columns * (height + 1) + y, column = 1 + n % columns * (width + 1) + x;
    float value = images[((n * channels + c) * height + y) * width + x];
    pixels[(row * gridWidth + column) * channels + c] = (byte)Math.Round(255 * Math.Clamp(value, 0, 1));
}
File.WriteAllBytes(args[1], Png(pixels, gridWidth, gridHeight, channels));
Console.WriteLine($"{count} images of {channels}×{height}×{width} decoded from random latents into {args[1]}");
return 0;

// PNG (ISO/IEC 15948): signature, IHDR, one IDAT of zlib-compressed rows (each with filter byte 0), IEND.
static byte[] Png(byte[] pixels, int width, int height, int channels)
{
    var raw = new MemoryStream();
    for (int y = 0; y < height; y++) { raw.WriteByte(0); raw.Write(pixels, y * width * channels, width * channels); }
    var compressed = new MemoryStream();
    using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(zlib);
    var header = new byte[13];
    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
    System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
    (header[8], header[9]) = ((byte)8, (byte)(channels == 1 ? 0 : 2)); // 8 bits, greyscale or RGB
    var png = new MemoryStream();
    png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    foreach (var (type, data) in new[] { ("IHDR", header), ("IDAT", compressed.ToArray()), ("IEND", Array.Empty<byte>()) })
    {
        var chunk = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        var length = new byte[4]; System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        var crc = new byte[4]; System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(chunk));
        png.Write(length); png.Write(chunk); png.Write(crc);
    }
    return png.ToArray();
}

static uint Crc32(byte[] bytes)
{
    uint crc = 0xFFFFFFFF;
    foreach (byte b in bytes) { crc ^= b; for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1; }
    return ~crc;
}
