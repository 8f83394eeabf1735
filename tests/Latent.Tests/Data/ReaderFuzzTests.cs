using System.IO.Compression;
using System.Text;
using Latent.Data;
using Latent.Data.Sources;
using Latent.Models.VectorQuantized;
using Latent.Reporting;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Tests.Data;

/// <summary>
/// Thousands of malformed inputs (truncations, flipped bytes, huge declared sizes, wrong magic): every
/// reader (IDX, safetensors, CSV, image folders, text, packed .vq codes) ends each one in a valid result or a one-line <see cref="UserInputException"/>, never
/// another exception.
/// </summary>
public sealed class ReaderFuzzTests
{
    /// <summary>Applies one random corruption to a copy of <paramref name="valid"/>.</summary>
    internal static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        switch (random.Next(5))
        {
            case 0: return bytes[..random.Next(bytes.Length)];                                    // truncate
            case 1:
                for (int i = random.Next(1, 4); i > 0; i--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;                                                                        // flip bits
            case 2:
                int at = random.Next(Math.Min(bytes.Length, 24));
                for (int i = at; i < Math.Min(bytes.Length, at + 4); i++) bytes[i] = 0xFF;            // huge sizes in a header
                return bytes;
            case 3:
                bytes[random.Next(Math.Min(bytes.Length, 4))] = (byte)random.Next(256);             // wrong magic
                return bytes;
            default:
                var extra = new byte[random.Next(1, 64)];
                random.NextBytes(extra);
                return [.. bytes, .. extra];                                                         // trailing garbage
        }
    }

    static void AssertValidOrUserError(Action read, string what)
    {
        try
        {
            read();
        }
        catch (UserInputException error)
        {
            Assert.DoesNotContain('\n', error.Message);
        }
        catch (Exception error)
        {
            Assert.Fail($"{what}: {error.GetType().Name}: {error.Message}");
        }
    }

    [Fact]
    public void Idx_files_raw_and_gzip()
    {
        var valid = IdxSourceTests.Idx([20, 4, 4], Enumerable.Range(0, 320).Select(i => (byte)i).ToArray());
        using var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(valid);
        var validGzip = compressed.ToArray();
        using var folder = new TempDirectory();
        var random = new Random(1);
        for (int i = 0; i < 1500; i++)
        {
            bool gzip = i % 2 == 1;
            var path = folder.File(gzip ? "f.gz" : "f");
            File.WriteAllBytes(path, Mutate(gzip ? validGzip : valid, random));
            AssertValidOrUserError(() => IdxSource.Read(path), $"case {i}");
        }
    }

    [Fact]
    public void Safetensors_files()
    {
        using var folder = new TempDirectory();
        var path = folder.File("valid.safetensors");
        using (var a = ones(3, 5)) using (var b = arange(7L))
            SafeTensors.Save(path, [("a", a), ("b", b)], new Dictionary<string, string> { ["k"] = "v" });
        var valid = File.ReadAllBytes(path);
        var random = new Random(2);
        for (int i = 0; i < 1500; i++)
        {
            var bad = folder.File("bad.safetensors");
            File.WriteAllBytes(bad, Mutate(valid, random));
            AssertValidOrUserError(() => SafeTensors.Load(bad).Tensors.Values.ToList().ForEach(t => t.Dispose()), $"case {i}");
        }
    }

    [Fact]
    public void Csv_tables()
    {
        var valid = Encoding.UTF8.GetBytes("a,b,label\n1,2,x\n3.5,-1e3,y\n0,0,x\n");
        using var folder = new TempDirectory();
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            var path = folder.File("t.csv");
            File.WriteAllBytes(path, Mutate(valid, random));
            AssertValidOrUserError(() => CsvSource.Load(path, i % 2 == 0 ? "label" : null), $"case {i}");
        }
    }

    [Fact]
    public void Image_folders()
    {
        var valid = Png.Encode(Enumerable.Range(0, 8 * 8 * 3).Select(i => (byte)i).ToArray(), 8, 8, 3);
        using var folder = new TempDirectory();
        var random = new Random(4);
        for (int i = 0; i < 500; i++)
        {
            File.WriteAllBytes(folder.File("a.png"), valid);
            File.WriteAllBytes(folder.File("b.png"), Mutate(valid, random));
            AssertValidOrUserError(() => ImageFolderSource.Load(folder.Path, imageSize: i % 2 == 0 ? 4 : null), $"case {i}");
        }
    }

    [Fact]
    public void Text_files()
    {
        // A real English text (every Debian machine has it), else a short stand-in, cut to a few kilobytes.
        const string gpl = "/usr/share/common-licenses/GPL-3";
        var text = File.Exists(gpl) ? File.ReadAllBytes(gpl)[..4096] : Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 90)));
        using var folder = new TempDirectory();
        var random = new Random(5);
        for (int i = 0; i < 500; i++)
        {
            var path = folder.File("t.txt");
            File.WriteAllBytes(path, Mutate(text, random));
            var settings = new TextSettings(i % 2 == 0 ? TokenLevel.Char : TokenLevel.Word, Window: 16 + i % 5, Stride: 4, MaxVocabulary: i % 3 == 0 ? 20 : null, Vocabulary: null);
            AssertValidOrUserError(() => TextSource.Load(path, settings, validationFraction: 0.1, seed: i), $"case {i}");
        }
    }

    [Fact]
    public void Packed_vq_codes()
    {
        using var folder = new TempDirectory();
        var validPath = folder.File("valid.vq");
        manual_seed(6);
        using (var codes = randint(0, 512, [20, 49, 2])) PackedCodes.Write(validPath, 512, 2, [7, 7], codes);
        var valid = File.ReadAllBytes(validPath);
        var random = new Random(6);
        for (int i = 0; i < 1000; i++)
        {
            var path = folder.File("c.vq");
            File.WriteAllBytes(path, Mutate(valid, random));
            AssertValidOrUserError(() => PackedCodes.Read(path).Codes.Dispose(), $"case {i}");
        }
    }
}
