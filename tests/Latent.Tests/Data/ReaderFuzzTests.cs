using Latent.Nn;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Data.Sources;
using Latent.Families;
using Latent.Models;
using Latent.Models.Denoising;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Models.VectorQuantized;
using Latent.Reporting;
using Latent.Runs;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Data;

/// <summary>
/// Thousands of malformed inputs (truncations, flipped bytes, huge declared sizes, wrong magic, JSON
/// values replaced by null, strings, numbers, arrays, or removed; stray quotes, commas and line
/// breaks): every file a user can hand to Latent (IDX, safetensors, CSV, image folders, text, packed
/// .vq codes, manifest.json, eval.json, metrics.jsonl, latent CSVs) ends each one in a valid result
/// or a one-line <see cref="UserInputException"/>, never another exception; and so does every file
/// that exists but cannot be read (here: held under an exclusive lock, since tests run as root).
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

    /// <summary>Inserts, deletes or doubles the characters that CSV and JSON parsers care about.</summary>
    internal static byte[] MutateText(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        byte[] special = [(byte)',', (byte)'"', (byte)'\r', (byte)'\n', (byte)' ', (byte)'{', (byte)'}', (byte)'[', (byte)':', 0xEF, 0xBB, 0xBF];
        for (int edits = random.Next(1, 4); edits > 0 && bytes.Count > 0; edits--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0: bytes.Insert(at, special[random.Next(special.Length)]); break;
                case 1: bytes.RemoveAt(at); break;
                default: bytes.Insert(at, bytes[at]); break;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>
    /// Parses <paramref name="valid"/> as JSON and applies one to three edits to random values: each
    /// replaced by null, a string, a number, a boolean, an array or an object, or removed.
    /// </summary>
    internal static string MutateJson(string valid, Random random)
    {
        var root = JsonNode.Parse(valid)!;
        for (int edits = random.Next(1, 4); edits > 0; edits--)
        {
            var slots = new List<(JsonNode Parent, string? Key, int Index)>();
            void Collect(JsonNode? node)
            {
                switch (node)
                {
                    case JsonObject json:
                        foreach (var (key, child) in json.ToList()) { slots.Add((json, key, -1)); Collect(child); }
                        break;
                    case JsonArray array:
                        for (int i = 0; i < array.Count; i++) { slots.Add((array, null, i)); Collect(array[i]); }
                        break;
                }
            }
            Collect(root);
            if (slots.Count == 0) break;
            var (parent, name, index) = slots[random.Next(slots.Count)];
            JsonNode? replacement = random.Next(13) switch
            {
                0 or 1 => null,
                2 => "x",
                3 => "",
                4 => -1,
                5 => 0,
                6 => 3.5,
                7 => 1000,
                8 => true,
                9 => new JsonArray(),
                10 => new JsonObject(),
                11 => new JsonArray(null, 1),
                _ => "remove",
            };
            bool remove = replacement is JsonValue value && value.TryGetValue(out string? text) && text == "remove";
            if (parent is JsonObject json)
            {
                if (remove) json.Remove(name!);
                else json[name!] = replacement;
            }
            else if (parent is JsonArray array)
            {
                if (remove) array.RemoveAt(index);
                else array[index] = replacement;
            }
        }
        return root.ToJsonString();
    }

    /// <summary>Runs <paramref name="read"/> while another handle holds <paramref name="path"/> exclusively: it must end in a "cannot read" error.</summary>
    static void AssertLockedIsUserError(string path, Action read)
    {
        using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var error = Assert.Throws<UserInputException>(read);
            Assert.Contains("cannot read", error.Message);
            Assert.DoesNotContain('\n', error.Message);
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
        var valid = Encoding.UTF8.GetBytes("\uFEFFa,\"b, in m\",label\r\n1,2,x\r\n\"3.5\",-1e3,\"y \"\"z\"\"\"\r\n0,0,x\r\n\r\n");
        using var folder = new TempDirectory();
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            var path = folder.File("t.csv");
            File.WriteAllBytes(path, i % 2 == 0 ? Mutate(valid, random) : MutateText(valid, random));
            var header = (CsvHeader)(i % 3);
            AssertValidOrUserError(() => CsvSource.Load(path, i % 4 < 2 ? "label" : i % 4 == 2 ? "2" : null, header), $"case {i}");
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

    [Fact]
    public void Safetensors_headers_with_null_and_mistyped_fields()
    {
        using var folder = new TempDirectory();
        var path = folder.File("valid.safetensors");
        using (var a = ones(3, 5)) using (var b = arange(7L))
            SafeTensors.Save(path, [("a", a), ("b", b)], new Dictionary<string, string> { ["k"] = "v" });
        var valid = File.ReadAllBytes(path);
        int headerLength = (int)BitConverter.ToUInt64(valid, 0);
        var header = Encoding.UTF8.GetString(valid, 8, headerLength);
        var data = valid[(8 + headerLength)..];
        var random = new Random(7);
        for (int i = 0; i < 1500; i++)
        {
            var json = Encoding.UTF8.GetBytes(MutateJson(header, random));
            var bad = folder.File("bad.safetensors");
            File.WriteAllBytes(bad, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data]);
            AssertValidOrUserError(() => SafeTensors.Load(bad).Tensors.Values.ToList().ForEach(t => t.Dispose()), $"case {i}: {Encoding.UTF8.GetString(json)}");
        }
        foreach (var field in new[] { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3,null],\"data_offsets\":[0,60]}}", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[null,60]}}" })
        {
            var json = Encoding.UTF8.GetBytes(field);
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. new byte[60]]);
            Assert.Contains("null where a whole number belongs", Assert.Throws<UserInputException>(() => SafeTensors.Load(path)).Message);
        }
        using (var a = ones(2)) SafeTensors.Save(path, [("a", a)]);
        AssertLockedIsUserError(path, () => SafeTensors.Load(path));
    }

    /// <summary>Small runs of several families on disk (manifest.json and model.safetensors, untrained): what manifests are fuzzed against.</summary>
    static List<RunDirectory> SmallRuns(TempDirectory folder)
    {
        var image = DataShape.Image(1, 8, 8);
        var tokens = new[] { Vocabulary.UnknownToken, Vocabulary.MaskToken, "a", "b", "c" };
        var runs = new (string Name, ModelOptions Model, DataShape Shape, DataOptions Data)[]
        {
            ("ae", new PlainOptions { LatentDim = 2, Hidden = [8] }, image, new DataOptions()),
            ("vae", new VaeOptions { Arch = Architecture.Conv, LatentDim = 2, Channels = [4] }, image, new DataOptions()),
            ("vq", new VqOptions { LatentDim = 4, Hidden = [8], Slots = 2, CodebookSize = 4, PriorWidth = 8, PriorLayers = 1 }, image, new DataOptions()),
            ("dae", new DaeOptions { Arch = Architecture.Transformer, Width = 8, Depth = 1, AttentionHeads = 2, Noise = "mask:0.15" }, DataShape.Tokens(6, tokens.Length),
                new DataOptions { Data = "text:t.txt", Window = 6, Vocabulary = tokens }),
        };
        return runs.Select(entry =>
        {
            var run = RunDirectory.New(folder.File(entry.Name));
            manual_seed(1);
            using var model = ModelCatalog.Of(entry.Model).Create(entry.Model, entry.Shape);
            run.WriteManifest(new Manifest
            {
                Family = ModelCatalog.Of(entry.Model).Name, Model = entry.Model, Data = entry.Data, Shape = entry.Shape,
                Training = new TrainingOptions { Epochs = 2 }, LabelNames = ["x", "y"], Versions = Versions.Current, Created = DateTimeOffset.Now,
            });
            run.SaveModel(model);
            return run;
        }).ToList();
    }

    [Fact]
    public void Manifests_and_the_models_they_describe()
    {
        using var folder = new TempDirectory();
        var runs = SmallRuns(folder);
        var valid = runs.Select(run => File.ReadAllText(run.ManifestPath)).ToList();
        foreach (var run in runs) run.LoadModel(run.ReadManifest()).Dispose(); // the unspoilt runs load
        var random = new Random(8);
        for (int i = 0; i < 800; i++)
        {
            var run = runs[i % runs.Count];
            var text = valid[i % runs.Count];
            File.WriteAllText(run.ManifestPath, i % 4 == 0 ? Encoding.UTF8.GetString(Mutate(Encoding.UTF8.GetBytes(text), random)) : MutateJson(text, random));
            AssertValidOrUserError(() =>
            {
                var manifest = RunDirectory.Open(run.Path).ReadManifest();
                using var model = run.LoadModel(manifest);
            }, $"case {i}: {File.ReadAllText(run.ManifestPath)}");
        }
        File.WriteAllText(runs[0].ManifestPath, valid[0]);
        AssertLockedIsUserError(runs[0].ManifestPath, () => runs[0].ReadManifest());
    }

    [Fact]
    public void Evaluation_files_and_the_figure_drawn_from_them()
    {
        using var folder = new TempDirectory();
        var run = SmallRuns(folder)[1];
        var figures = new SortedDictionary<string, double> { ["test_mse"] = 0.01, ["collapsed_units"] = 1, ["kl_dim_0"] = 2.5, ["kl_dim_1"] = 0.001, ["active_units"] = 1 };
        var valid = System.Text.Json.JsonSerializer.Serialize(figures, Json.Options);
        var random = new Random(9);
        for (int i = 0; i < 250; i++)
        {
            File.WriteAllText(run.EvalPath, i % 3 == 0 ? Encoding.UTF8.GetString(MutateText(Encoding.UTF8.GetBytes(valid), random)) : MutateJson(valid, random));
            AssertValidOrUserError(() =>
            {
                run.ReadEvaluation();
                RunFigures.SaveKlPerDimension(folder.File("kl.png"), run);
            }, $"case {i}: {File.ReadAllText(run.EvalPath)}");
        }
        File.WriteAllText(run.EvalPath, valid);
        AssertLockedIsUserError(run.EvalPath, () => run.ReadEvaluation());
    }

    [Fact]
    public void Metrics_logs_the_loss_curves_and_a_resume_cut()
    {
        using var folder = new TempDirectory();
        var run = SmallRuns(folder)[1];
        var path = run.MetricsPath;
        for (int epoch = 1; epoch <= 4; epoch++)
            MetricsLog.Append(path, epoch, epoch * 10L, new Dictionary<string, double>
            {
                ["train_loss"] = 1.0 / epoch, ["train_kl"] = 0.5, ["val_loss"] = 1.1 / epoch, ["lr"] = 1e-3, ["seconds"] = 2, ["kl_dim_0"] = 1.5, ["kl_dim_1"] = 0.2,
            });
        var lines = File.ReadAllLines(path);
        var random = new Random(10);
        for (int i = 0; i < 250; i++)
        {
            var spoilt = lines.ToList();
            int at = random.Next(spoilt.Count);
            switch (i % 4)
            {
                case 0: spoilt[at] = MutateJson(spoilt[at], random); break;
                case 1: spoilt[at] = Encoding.UTF8.GetString(MutateText(Encoding.UTF8.GetBytes(spoilt[at]), random)); break;
                case 2: spoilt.Insert(at, spoilt[random.Next(spoilt.Count)]); spoilt[at] = MutateJson(spoilt[at], random); break;
                default: spoilt.RemoveAt(at); break;
            }
            File.WriteAllLines(path, spoilt);
            AssertValidOrUserError(() =>
            {
                MetricsLog.Read(path);
                RunFigures.SaveLossCurves(folder.File("loss.png"), path);
                RunFigures.SaveKlPerDimension(folder.File("kl.png"), run);
                MetricsLog.TruncateAfter(path, 2);
            }, $"case {i}: {string.Join(" | ", spoilt)}");
        }
        File.WriteAllLines(path, lines);
        AssertLockedIsUserError(path, () => MetricsLog.Read(path));
    }

    [Fact]
    public void Latent_csv_files()
    {
        using var folder = new TempDirectory();
        var validPath = folder.File("valid.csv");
        manual_seed(11);
        using (var codes = randn(12, 3)) LatentCsv.Write(validPath, codes, labels: Enumerable.Range(0, 12).ToArray());
        var valid = File.ReadAllBytes(validPath);
        var random = new Random(11);
        for (int i = 0; i < 1000; i++)
        {
            var path = folder.File("z.csv");
            File.WriteAllBytes(path, i % 2 == 0 ? Mutate(valid, random) : MutateText(valid, random));
            AssertValidOrUserError(() => LatentCsv.Read(path, 3).Dispose(), $"case {i}");
        }
        AssertLockedIsUserError(validPath, () => LatentCsv.Read(validPath, 3));
    }

    [Fact]
    public void Unreadable_and_unusable_files_in_every_reader()
    {
        using var folder = new TempDirectory();
        var csv = folder.File("t.csv");
        File.WriteAllText(csv, "1,2\n3,4\n");
        AssertLockedIsUserError(csv, () => CsvSource.Load(csv, null));
        var text = folder.File("t.txt");
        File.WriteAllText(text, TextSourceTests.SeededText());
        AssertLockedIsUserError(text, () => TextSource.Load(text, new TextSettings(TokenLevel.Char, 16, 16, null, null), 0.1, seed: 1));
        var idx = folder.File("idx");
        IdxSourceTests.WriteSet(Directory.CreateDirectory(idx).FullName, 10, 5, gzip: true);
        AssertLockedIsUserError(Path.Combine(idx, "t10k-images-idx3-ubyte.gz"), () => IdxSource.Load(idx, null));
        manual_seed(6);
        var vq = folder.File("c.vq");
        using (var codes = randint(0, 16, [3, 4, 1])) PackedCodes.Write(vq, 16, 1, [4], codes);
        AssertLockedIsUserError(vq, () => PackedCodes.Read(vq));

        // Image folders: a locked image, an empty file, a folder that carries an image's name (skipped).
        var images = Directory.CreateDirectory(folder.File("images")).FullName;
        var png = Png.Encode(new byte[16], 4, 4, 1);
        File.WriteAllBytes(Path.Combine(images, "a.png"), png);
        File.WriteAllBytes(Path.Combine(images, "b.png"), png);
        Directory.CreateDirectory(Path.Combine(images, "c.png"));
        Assert.Equal(2, ImageFolderSource.Load(images, null).Count);
        AssertLockedIsUserError(Path.Combine(images, "b.png"), () => ImageFolderSource.Load(images, null));
        File.WriteAllBytes(Path.Combine(images, "d.png"), []);
        Assert.Contains("is not a readable PNG", Assert.Throws<UserInputException>(() => ImageFolderSource.Load(images, null)).Message);

        // A folder where a file should be, and a path beneath a regular file.
        foreach (var read in new Action<string>[]
                 {
                     path => CsvSource.Load(path, null), path => TextSource.Load(path, new TextSettings(TokenLevel.Char, 16, 16, null, null), 0.1, 1),
                     path => SafeTensors.Load(path), path => PackedCodes.Read(path), path => LatentCsv.Read(path, 2),
                 })
        {
            Assert.Contains("is a folder, not a file", Assert.Throws<UserInputException>(() => read(images)).Message);
            Assert.Contains("cannot exist because", Assert.Throws<UserInputException>(() => read(Path.Combine(csv, "x"))).Message);
        }
        Assert.Contains("is a file, not a folder", Assert.Throws<UserInputException>(() => ImageFolderSource.Load(csv, null)).Message);
        Assert.Contains("is a file, not a folder", Assert.Throws<UserInputException>(() => IdxSource.Load(csv, null)).Message);
    }
}
