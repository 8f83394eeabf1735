using Latent.Nn;
using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Families;
using Latent.Models;
using Latent.Runs;
using Latent.Training;
using static Latent.Tests.Cli.CliRunner;
using static TorchSharp.torch;

namespace Latent.Tests.Runs;

/// <summary>
/// python/latent_torch continues a run Latent trained, on one process and under torchrun with two CPU
/// processes (DistributedDataParallel, gloo), and Latent reads what it writes: eval, report, encode, export (ONNX)
/// and resume. Skipped when Debian's python3-torch is missing.
/// </summary>
public sealed class DistributedTrainingTests
{
    /// <summary>
    /// Relative agreement of 1 and 2 processes: per-epoch train and validation losses and terms, and test_mse.
    /// Two processes see the same examples, the same seeded draws and the same global batch as one; what
    /// differs is the order of float32 sums (per shard, then across ranks; the gradient of two half-batches
    /// averaged by all-reduce). Measured in 20 configurations of every covered family (bench/ddp_agreement.sh):
    /// at most 3.3e-7. Deliberate errors in the split of the work move these small runs by more:
    /// codebooks updated from each rank's own vectors 2e-4, each rank drawing the noise of the batch's
    /// first rows 8e-4, per-rank batch means with a short shard 3e-5. So 1e-5 catches those and leaves
    /// a factor of 30 for rounding (a looser 1e-3 would miss all three).
    /// </summary>
    const double DistributedTolerance = 1e-5;

    /// <summary>
    /// Relative agreement of PyTorch on one process with Latent's own resume: the same arithmetic in other
    /// kernels (libtorch 2.10 with MKL and oneDNN, PyTorch 1.13 with OpenBLAS). Measured at most 2.0e-6 in
    /// the same 20 configurations; a wrong schedule, order or loss is off by far more than 1e-4.
    /// </summary>
    const double MirrorTolerance = 1e-4;

    public static TheoryData<string, string[]> Runs => new()
    {
        // EMA codebooks with k-means done and dead-code restarts firing: buffers updated from the gathered global batch
        { "vqvae", ["--arch", "conv", "--channels", "8,16", "--latent-dim", "8", "--codebook-size", "32", "--restart-after", "2", "--prior-epochs", "0"] },
        // noise drawn for the whole global batch, each rank taking its rows; free bits on the global batch-averaged KL
        { "vae", ["--arch", "mlp", "--hidden", "64", "--latent-dim", "8", "--free-bits", "0.1"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Runs))]
    public void Two_processes_continue_a_run_as_one_does_and_Latent_reads_the_result(string family, string[] options)
    {
        Skip.IfNot(LatentTorch.TorchRunInstalled, LatentTorch.InstallHint);
        using var folder = new TempDirectory();
        string start = folder.File("start"), latent = folder.File("latent"), one = folder.File("one"), two = folder.File("two");
        var train = Run(["train", "--model", family, .. options, "--data", "shapes", "--limit", "400", "--batch-size", "50",
                         "--epochs", "1", "--threads", "1", "--out", start, "--quiet"]);
        Assert.True(train.Code == 0, train.Error);

        // The same two further epochs: by Latent itself, by PyTorch on one process, by two processes.
        CopyRun(start, latent);
        Assert.Equal(0, Run("train", "--resume", "--out", latent, "--epochs", "3", "--threads", "1", "--quiet").Code);
        var single = LatentTorch.Module("latent_torch.train", "--run", start, "--out", one, "--epochs", "3", "--threads", "1");
        Assert.True(single.ExitCode == 0, single.Output);
        var distributed = LatentTorch.Distributed(2, "latent_torch.train", "--run", start, "--out", two, "--epochs", "3", "--threads", "1");
        Assert.True(distributed.ExitCode == 0, distributed.Output);
        Assert.Contains("2 processes", distributed.Output);

        var (byLatent, byOne, byTwo) = (MetricsLog.Read(Path.Combine(latent, "metrics.jsonl")),
                                        MetricsLog.Read(Path.Combine(one, "metrics.jsonl")), MetricsLog.Read(Path.Combine(two, "metrics.jsonl")));
        Assert.Equal([1.0, 2.0, 3.0], byTwo.Select(row => row["epoch"]));
        Assert.Equal(byOne[0], byTwo[0]); // the epoch Latent trained, kept as it was
        foreach (int epoch in new[] { 1, 2 })
        foreach (var key in byTwo[epoch].Keys.Where(key => key.StartsWith("train_") || key.StartsWith("val_")))
        {
            AssertClose(byOne[epoch][key], byTwo[epoch][key], DistributedTolerance, $"{family} epoch {epoch + 1} {key}: 1 process vs 2");
            AssertClose(byLatent[epoch][key], byOne[epoch][key], MirrorTolerance, $"{family} epoch {epoch + 1} {key}: Latent vs PyTorch");
        }
        Assert.Equal(byOne[2].Keys.Order(), byTwo[2].Keys.Order());
        Assert.Equal(byLatent[2].Keys.Order(), byTwo[2].Keys.Order()); // the same metrics, diagnosis figures included
        Assert.Equal(3, RunDirectory.Open(two).ReadManifest().Training!.Epochs);

        // Exactly the keys, shapes and dtypes Latent writes, in model.safetensors and in the checkpoint.
        AssertSameLayout(Path.Combine(latent, "model.safetensors"), Path.Combine(two, "model.safetensors"));
        AssertSameLayout(Path.Combine(latent, "checkpoint", "last.safetensors"), Path.Combine(two, "checkpoint", "last.safetensors"));

        // Latent reads it back: eval (close to the one-process result), report, encode, and resume (no epochs left:
        // it fits a VQ-VAE's prior on the new weights and redraws the figures).
        Assert.Equal(0, Run("eval", "--run", one, "--threads", "1").Code);
        var evaluated = Run("eval", "--run", two, "--threads", "1");
        Assert.True(evaluated.Code == 0, evaluated.Error);
        double testMse = RunDirectory.Open(two).ReadEvaluation()["test_mse"];
        Assert.True(double.IsFinite(testMse) && testMse > 0, $"test_mse {testMse}");
        AssertClose(RunDirectory.Open(one).ReadEvaluation()["test_mse"], testMse, DistributedTolerance, $"{family} test_mse: 1 process vs 2");
        Assert.Equal(0, Run("report", "--run", two).Code);
        Assert.True(File.Exists(Path.Combine(two, "report.html")));
        Assert.Equal(0, Run("encode", "--run", two, "--data", "shapes", "--out", folder.File("z.csv")).Code);
        Assert.Equal(2001, File.ReadLines(folder.File("z.csv")).Count());
        var exported = Run("export", "--run", two, "--quiet");
        Assert.True(exported.Code == 0, exported.Error);
        AssertOnnxReconstructsAsLatent(two, family);
        var resumed = Run("train", "--resume", "--out", two, "--threads", "1", "--quiet");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Equal(3, MetricsLog.Read(Path.Combine(two, "metrics.jsonl")).Count);
        Assert.True(File.Exists(Path.Combine(two, "reconstructions.png")));
    }

    /// <summary>
    /// The run's exported graphs, run in ONNX Runtime, take test examples through encoder.onnx and decoder.onnx
    /// (the posterior mean, or the codes, as the decoder's input) to what Latent's own model of the same weights gives.
    /// </summary>
    static void AssertOnnxReconstructsAsLatent(string run, string family)
    {
        var directory = RunDirectory.Open(run);
        using var model = directory.LoadModel();
        var x = directory.LoadSplit(DataSplit.Test).Take(16).Features;
        var onnx = Path.Combine(run, "onnx");
        var description = JsonNode.Parse(File.ReadAllText(Path.Combine(onnx, "export.json")))!;
        string decoderInput = (string)description["graphs"]!["decoder"]!["inputs"]![0]!["name"]!;
        int threads = get_num_threads();
        set_num_threads(1); // libtorch's ConvTranspose2d is not repeatable on 2 threads here (see OnnxExportTests)
        try
        {
            using var noGrad = no_grad();
            var encoded = Latent.Tests.Export.OnnxRuntimeRunner.Run(File.ReadAllBytes(Path.Combine(onnx, "encoder.onnx")), new Dictionary<string, Tensor> { ["x"] = x });
            var latent = encoded.TryGetValue(decoderInput, out var code) ? code : encoded["mean"];
            var decoded = Latent.Tests.Export.OnnxRuntimeRunner.Run(File.ReadAllBytes(Path.Combine(onnx, "decoder.onnx")), new Dictionary<string, Tensor> { [decoderInput] = latent })["x_hat"];
            var expected = model is IDiscreteCodes discrete ? discrete.DecodeCodes(discrete.Codes(x)) : model.Decode(model.Encode(x));
            double error = Latent.Tests.Export.OnnxRuntimeRunner.RelativeError(decoded, expected);
            Assert.True(error <= 1e-5, $"{family}: ONNX decoder(encoder(x)) against Latent's model of the same weights, relative error {error:E2}");
        }
        finally { set_num_threads(threads); }
    }

    static void AssertClose(double expected, double actual, double tolerance, string what)
    {
        double relative = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-12);
        Assert.True(relative <= tolerance, $"{what}: {expected:G9} against {actual:G9}, relative difference {relative:E2}");
    }

    static void AssertSameLayout(string latentFile, string pytorchFile)
    {
        var (expected, _) = SafeTensors.Load(latentFile);
        var (actual, _) = SafeTensors.Load(pytorchFile);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            Assert.True(tensor.dtype == actual[name].dtype, $"{name}: {tensor.dtype} in Latent's file, {actual[name].dtype} in PyTorch's");
            Assert.Equal(tensor.shape, actual[name].shape);
        }
        foreach (var tensor in expected.Values.Concat(actual.Values)) tensor.Dispose();
    }

    static void CopyRun(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The data sources latent_torch reads, each with what it must reproduce bit for bit.</summary>
    public static TheoryData<string> Sources => new(
        "shapes",         // the generator (SplitMix64, supersampled rendering), --limit and the validation split
        "csv",            // the fixed test carve (seed 0x7E57), the header, float parsing, a text label column
        "csv-quoted",     // RFC 4180 quoting: quoted names and labels holding commas, quotes and a line break
        "csv-header-yes", // --header yes on a first row of numbers, an integer label column by index
        "text",           // the cut into parts, windows every --stride tokens, the vocabulary recorded in the manifest
        "fashion-mnist"); // IDX gzip reading, bytes / 255

    [SkippableTheory]
    [MemberData(nameof(Sources))]
    public void PyTorch_loads_the_same_splits_as_Latent(string source)
    {
        Skip.IfNot(LatentTorch.TorchInstalled, LatentTorch.InstallHint);
        Skip.If(source == "fashion-mnist" && !TestData.FashionMnistInstalled, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        Skip.If(source == "text" && !File.Exists("/usr/share/common-licenses/GPL-3"), "/usr/share/common-licenses/GPL-3 is missing");
        using var folder = new TempDirectory();
        var data = DataCatalog.Resolve(source switch
        {
            "shapes" => new DataOptions { Data = "shapes", Limit = 3000 },
            "csv" => new DataOptions { Data = "csv:" + WriteTable(folder.File("table.csv")), LabelColumn = "label", ValidationFraction = 0.2 },
            "csv-quoted" => new DataOptions { Data = "csv:" + WriteTable(folder.File("quoted.csv"), quoted: true), LabelColumn = "label, text", ValidationFraction = 0.2 },
            "csv-header-yes" => new DataOptions { Data = "csv:" + WriteTable(folder.File("numbers.csv"), numericHeader: true), LabelColumn = "2", Header = Latent.Data.Sources.CsvHeader.Yes },
            "text" => new DataOptions { Data = "text:/usr/share/common-licenses/GPL-3", Window = 16, Stride = 4, Tokens = TokenLevel.Word },
            _ => new DataOptions { Data = source, Limit = 5000 },
        });
        var splits = DataCatalog.Load(data, seed: 7);
        var run = RunDirectory.New(folder.File("run"));
        var model = new Latent.Models.Plain.PlainOptions();
        run.WriteManifest(new Manifest
        {
            Family = "ae", Model = model, Data = data, Shape = splits.Shape, Training = new TrainingOptions { Seed = 7 },
            Versions = Versions.Current, Created = DateTimeOffset.UnixEpoch,
        });

        var dumped = LatentTorch.Module("latent_torch.data", run.Path, folder.File("splits.safetensors"));
        Assert.True(dumped.ExitCode == 0, dumped.Output);
        var (tensors, _) = SafeTensors.Load(folder.File("splits.safetensors"));
        foreach (var (name, expected) in new[] { ("train", splits.Train), ("validation", splits.Validation), ("test", splits.Test) })
        {
            Assert.True(expected.Features.SameAs(tensors[name]),
                $"{source} {name}: {string.Join("×", tensors[name].shape)} {tensors[name].dtype} from PyTorch, " +
                $"{string.Join("×", expected.Features.shape)} {expected.Features.dtype} from Latent, max |difference| " +
                $"{(expected.Features.shape.SequenceEqual(tensors[name].shape) ? (expected.Features.to(ScalarType.Float64) - tensors[name].to(ScalarType.Float64)).abs().max().item<double>() : double.NaN)}");
            if (expected.Labels is not null && name != "test")
                Assert.Equal(expected.Labels.Select(label => (long)label), tensors[name + "_labels"].data<long>().ToArray());
        }
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }

    static string WriteTable(string path, bool quoted = false, bool numericHeader = false)
    {
        var random = new SplitMix64(3);
        var lines = new List<string> { quoted ? "\"a\", \"b\",\"label, text\",c" : numericHeader ? "1.5,2,3,4" : "a,b,label,c" };
        for (int row = 0; row < 300; row++)
        {
            string label = numericHeader ? (row % 3).ToString(System.Globalization.CultureInfo.InvariantCulture)
                         : !quoted ? (row % 3 == 0 ? "cat" : "dog")
                         : row % 3 == 0 ? "\"cat, \"\"big\"\"\"" : row % 3 == 1 ? "\"dog\nsmall\"" : "dog";
            lines.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{random.Uniform(-5, 5):R},{random.Uniform(0, 1e6):E3},{label},{random.Uniform(-1, 1) * 1e-3:G5}"));
        }
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>A manifest template may name only what differs from the defaults, so PyTorch's table of them must be Latent's.</summary>
    [SkippableTheory]
    [MemberData(nameof(Families))]
    public void PyTorch_knows_every_default_option_of_a_family(string family)
    {
        Skip.IfNot(LatentTorch.TorchInstalled, LatentTorch.InstallHint);
        var printed = LatentTorch.Module("latent_torch.options", family);
        Assert.True(printed.ExitCode == 0, printed.Output);
        var defaults = JsonNode.Parse(printed.Output)!;
        var catalogued = ModelCatalog.Find(family);
        var expected = new JsonObject
        {
            ["model"] = System.Text.Json.JsonSerializer.SerializeToNode(catalogued.DefaultOptions(), catalogued.OptionsType, Json.Options),
            ["training"] = System.Text.Json.JsonSerializer.SerializeToNode(catalogued.DefaultTraining, Json.Options),
            ["data"] = System.Text.Json.JsonSerializer.SerializeToNode(new DataOptions(), Json.Options),
        };
        foreach (var section in new[] { "model", "training", "data" })
            Assert.True(JsonNode.DeepEquals(Normalised(expected[section]!), Normalised(defaults[section]!)),
                $"{family} {section}: Latent {expected[section]!.ToJsonString()}, latent_torch {defaults[section]!.ToJsonString()}");
    }

    public static TheoryData<string> Families => new(ModelCatalog.Families.Select(family => family.Name));

    /// <summary>Numbers as doubles (1 and 1.0 are the same default), keys sorted.</summary>
    static JsonNode? Normalised(JsonNode? node) => node switch
    {
        JsonObject entries => new JsonObject(entries.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => KeyValuePair.Create(pair.Key, Normalised(pair.Value)))),
        JsonArray items => new JsonArray(items.Select(Normalised).ToArray()),
        JsonValue value when value.TryGetValue(out double number) => JsonValue.Create(number),
        _ => node?.DeepClone(),
    };

    [SkippableFact]
    public void A_family_PyTorch_does_not_train_is_one_line_and_exit_code_2()
    {
        Skip.IfNot(LatentTorch.TorchInstalled, LatentTorch.InstallHint);
        using var folder = new TempDirectory();
        var run = RunDirectory.New(folder.File("pca"));
        run.WriteManifest(new Manifest
        {
            Family = "pca", Model = new Latent.Models.Pca.PcaOptions(), Data = new DataOptions { Limit = 100 }, Shape = DataShape.Image(1, 32, 32),
            Versions = Versions.Current, Created = DateTimeOffset.UnixEpoch,
        });
        var (exitCode, output) = LatentTorch.Module("latent_torch.train", "--run", run.Path);
        Assert.Equal(2, exitCode);
        Assert.Equal("latent_torch: error: latent_torch.train does not cover --model pca: it is fitted in closed form by 'latent pca'; train it with 'latent'",
                     output.Trim());
    }
}
