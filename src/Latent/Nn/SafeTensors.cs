using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header that
/// maps each name to its dtype, shape and byte range, an optional <c>__metadata__</c> map of strings,
/// then the raw little-endian data. PyTorch reads it with <c>safetensors.torch.load_file</c>, or with
/// the ten lines of numpy in bench/. The reader checks every declared size against the file before
/// allocating anything.
/// </summary>
internal static class SafeTensors
{
    const long MaxHeaderBytes = 100_000_000;

    static readonly (ScalarType Type, string Name, int Bytes)[] DTypes =
    [
        (ScalarType.Float32, "F32", 4), (ScalarType.Float64, "F64", 8), (ScalarType.Float16, "F16", 2),
        (ScalarType.BFloat16, "BF16", 2), (ScalarType.Int64, "I64", 8), (ScalarType.Int32, "I32", 4),
        (ScalarType.Int16, "I16", 2), (ScalarType.Int8, "I8", 1), (ScalarType.Byte, "U8", 1), (ScalarType.Bool, "BOOL", 1),
    ];

    /// <summary>Writes tensors (sorted by name, as the reference implementation does) to a stream.</summary>
    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.OrderBy(entry => entry.Name, StringComparer.Ordinal)
                             .Select(entry => (entry.Name, Tensor: entry.Tensor.detach().cpu().contiguous())).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value)));
        long offset = 0;
        foreach (var (name, tensor) in entries)
        {
            var dtype = DTypes.FirstOrDefault(d => d.Type == tensor.dtype);
            if (dtype.Name is null) throw new NotSupportedException($"safetensors: dtype {tensor.dtype} of '{name}'");
            long length = tensor.NumberOfElements * dtype.Bytes;
            header[name] = new JsonObject
            {
                ["dtype"] = dtype.Name,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + length),
            };
            offset += length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // keeps the data 8-byte aligned, as the reference writer does
        Span<byte> length8 = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length8, (ulong)(json.Length + padding));
        stream.Write(length8);
        stream.Write(json);
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in entries)
        {
            if (tensor.NumberOfElements > 0) stream.Write(tensor.bytes);
            tensor.Dispose();
        }
    }

    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>Reads every tensor and the metadata; a malformed file is a <see cref="UserInputException"/>.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        UserPaths.RequireFile(path, "safetensors file", "check the run directory");
        try
        {
            using var file = File.OpenRead(path);
            return Load(file, path);
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, "check the file, or wait for the process that holds it");
        }
    }

    /// <summary>Reads every tensor and the metadata from a seekable stream; <paramref name="source"/> names it in errors.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(Stream stream, string source)
    {
        try
        {
            return Read(stream, source);
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException or FormatException or EndOfStreamException)
        {
            throw Corrupt(source, $"has a malformed header ({UserPaths.Reason(error)})");
        }
    }

    static (Dictionary<string, Tensor>, Dictionary<string, string>) Read(Stream file, string path)
    {
        long fileLength = file.Length;
        Span<byte> length8 = stackalloc byte[8];
        if (fileLength < 8) throw Corrupt(path, "is shorter than its 8-byte header length");
        file.ReadExactly(length8);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(length8);
        if (headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw Corrupt(path, $"declares a {headerLength}-byte header in a {fileLength}-byte file");
        var json = new byte[headerLength];
        file.ReadExactly(json);
        var header = JsonNode.Parse(json) as JsonObject ?? throw Corrupt(path, "has a header that is not a JSON object");

        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (key, value) in node as JsonObject ?? throw Corrupt(path, "has __metadata__ that is not an object"))
                        metadata[key] = value?.GetValue<string>() ?? "";
                    continue;
                }
                var entry = node as JsonObject ?? throw Corrupt(path, $"describes '{name}' with something other than an object");
                string dtypeName = entry["dtype"]?.GetValue<string>() ?? throw Corrupt(path, $"gives '{name}' no dtype");
                var dtype = DTypes.FirstOrDefault(d => d.Name == dtypeName);
                if (dtype.Name is null) throw Corrupt(path, $"gives '{name}' the unsupported dtype {dtypeName}");
                var shape = Integers(entry["shape"], path, name, "shape");
                var offsets = Integers(entry["data_offsets"], path, name, "data_offsets");
                if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Corrupt(path, $"places '{name}' outside its data");
                long elements = 1;
                foreach (long d in shape)
                    if (d != 0 && elements > long.MaxValue / d / dtype.Bytes) throw Corrupt(path, $"declares an impossible shape for '{name}'");
                    else elements *= d;
                if (elements * dtype.Bytes != offsets[1] - offsets[0])
                    throw Corrupt(path, $"declares '{name}' as {string.Join("×", shape)} {dtypeName} in {offsets[1] - offsets[0]} bytes");

                var bytes = new byte[offsets[1] - offsets[0]];
                file.Position = dataStart + offsets[0];
                file.ReadExactly(bytes);
                var tensor = empty(shape, dtype.Type);
                if (bytes.Length > 0) tensor.bytes = bytes;
                tensors[name] = tensor;
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return (tensors, metadata);
    }

    /// <summary>A header field that must be an array of integers (a shape, a byte range).</summary>
    static long[] Integers(JsonNode? node, string path, string name, string field)
    {
        if (node is not JsonArray array) throw Corrupt(path, $"gives '{name}' no {field} array");
        var values = new long[array.Count];
        for (int i = 0; i < values.Length; i++)
            if (array[i] is not JsonValue value || !value.TryGetValue(out values[i]))
                throw Corrupt(path, $"gives '{name}' a {field} with {(array[i] is null ? "null" : $"'{array[i]!.ToJsonString()}'")} where a whole number belongs");
        return values;
    }

    static UserInputException Corrupt(string path, string problem) =>
        new($"'{path}' {problem}; it is not a valid safetensors file, so restore it or train the run again");
}
