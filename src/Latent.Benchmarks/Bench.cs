using Latent.Families;
using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Latent.Data;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Models.VectorQuantized;
using Latent.Runs;
using Latent.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Benchmarks;

/// <summary>Options of <c>latent bench</c>.</summary>
public sealed record BenchOptions
{
    [Description("file the results are written to, as JSON")]
    public string Out { get; init; } = "bench.json";

    [Description("shorter measurements, less precise: for a quick look")]
    public bool Quick { get; init; }
}

/// <summary>One measurement: throughput, and the arithmetic rate it achieves against the machine's GEMM peak.</summary>
public sealed record BenchResult(string Name, string Description, double ExamplesPerSecond, double Gflops, double FractionOfPeak);

/// <summary>Everything <c>latent bench</c> measured in one process; <paramref name="NearestCodeKernel"/> is the VQ-VAE's nearest-code search that ran (avx512, avx2, vector128 or addmm).</summary>
public sealed record BenchReport(
    string Machine, int Threads, string NearestCodeKernel, Versions Versions, double GemmGflops,
    IReadOnlyList<BenchResult> Results, IReadOnlyDictionary<string, double> Ratios, IReadOnlyDictionary<string, double> MemoryMiB);

/// <summary>
/// Measures, side by side in one process: the practical float32 GEMM rate, training throughput of
/// the reference models through Latent's trainer and through a minimal hand-written TorchSharp loop,
/// encode throughput and memory. Every rate is also given as a fraction of the measured GEMM rate,
/// because these machines are shared and absolute numbers drift; ratios measured together do not.
/// </summary>
public static class Bench
{
    /// <summary>The reference VAE of the issues: 784-512-256-(2×32) / 32-256-512-784, ReLU, Bernoulli.</summary>
    public static readonly int[] ReferenceHidden = [512, 256];
    public const int ReferenceLatent = 32;

    public static BenchReport Run(BenchOptions options, Action<string> say)
    {
        var window = TimeSpan.FromSeconds(options.Quick ? 1 : 3);
        int examples = options.Quick ? 8192 : 32768;
        double peak = GemmPeak(options.Quick ? 1024 : 2048, window);
        say($"float32 GEMM: {peak:F1} GFLOP/s on {torch.get_num_threads()} threads");

        var data = Data(examples);
        var results = new List<BenchResult>();
        void Add(BenchResult result)
        {
            results.Add(result);
            say($"{result.Name,-28} {result.ExamplesPerSecond,10:F0} ex/s {result.Gflops,8:F1} GFLOP/s  {result.FractionOfPeak,6:P0} of GEMM  ({result.Description})");
        }

        var reference = ModelCatalog.Find("vae").DefaultOptions() with { Hidden = ReferenceHidden, LatentDim = ReferenceLatent };
        // The b128 run is also the memory probe: resident memory after every epoch, which must not grow.
        var residentPerEpoch = new List<double>();
        foreach (int batch in new[] { 128, 512 })
        {
            Add(TrainerThroughput($"vae-mlp trainer b{batch}", "reference VAE through Latent's trainer", reference, data, batch, peak,
                epochs: batch == 128 ? (options.Quick ? 3 : 5) : 2, batch == 128 ? residentPerEpoch : null));
            Add(HandWrittenVae.Throughput($"vae-mlp hand-written b{batch}", data.Train.Features, batch, peak, window));
        }
        Add(TrainerThroughput("ae-conv trainer b128", "conv AE 32-64 channels, D = 32, through the trainer",
            new PlainOptions { Arch = Architecture.Conv, LatentDim = 32 }, data, 128, peak));
        string kernel = NearestCodeSearch.Name(NearestCodeSearch.Selected);
        say($"nearest-code search: {kernel} (the fastest this CPU runs: {NearestCodeSearch.Name(NearestCodeSearch.Fastest)}; {NearestCodeSearch.KernelVariable} picks another)");
        foreach (int codes in new[] { 512, 8192 })
            Add(TrainerThroughput($"vqvae-conv K={codes} b128", $"conv VQ-VAE, 7×7 codes from K = {codes}, EMA, restarts, {kernel} search, through the trainer",
                new VqOptions { Arch = Architecture.Conv, CodebookSize = codes }, data, 128, peak));
        Add(EncodeThroughput("vae-mlp encode b1000", reference, data.Train, peak, window));

        double Rate(string name) => results.First(r => r.Name == name).ExamplesPerSecond;
        var ratios = new Dictionary<string, double>
        {
            ["trainer_over_hand_written_b128"] = Rate("vae-mlp trainer b128") / Rate("vae-mlp hand-written b128"),
            ["trainer_over_hand_written_b512"] = Rate("vae-mlp trainer b512") / Rate("vae-mlp hand-written b512"),
            ["vqvae_time_k8192_over_k512"] = Rate("vqvae-conv K=512 b128") / Rate("vqvae-conv K=8192 b128"),
        };
        var memory = new Dictionary<string, double> { ["peak_resident_mib"] = ResidentMiB("VmHWM"), ["resident_mib"] = ResidentMiB("VmRSS") };
        for (int epoch = 0; epoch < residentPerEpoch.Count; epoch++) memory[$"resident_after_epoch_{epoch + 1}_mib"] = residentPerEpoch[epoch];
        foreach (var (key, value) in ratios) say($"{key}: {value:F3}");
        say($"resident memory after each epoch of the b128 VAE run: {string.Join(", ", residentPerEpoch.Select(m => $"{m:F0}"))} MiB");
        say($"peak resident memory: {memory["peak_resident_mib"]:F0} MiB");

        var report = new BenchReport(Machine(), torch.get_num_threads(), kernel, Versions.Current, peak, results, ratios, memory);
        AtomicFile.WriteAllText(options.Out, JsonSerializer.Serialize(report, Json.Options));
        return report;
    }

    /// <summary>The best float32 rate of an n×n matrix product over a few timing windows, in GFLOP/s.</summary>
    public static double GemmPeak(int n, TimeSpan window)
    {
        using var a = randn(n, n);
        using var b = randn(n, n);
        for (int i = 0; i < 3; i++) a.mm(b).Dispose(); // warm up MKL's threads and caches
        double best = 0;
        for (int round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            int repetitions = 0;
            while (clock.Elapsed < window / 3) { a.mm(b).Dispose(); repetitions++; }
            best = Math.Max(best, 2.0 * n * n * n * repetitions / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    /// <summary>Fashion-MNIST's first training images when installed, else uniform noise of the same shape.</summary>
    static DataSplits Data(int count)
    {
        Dataset train;
        if (DataCatalog.FashionMnistInstalled())
            train = DataCatalog.Load(new DataOptions { Data = "fashion-mnist", Limit = count, ValidationFraction = 0 }, seed: 1).Train;
        else
        {
            manual_seed(1);
            train = new Dataset(rand(count, 1, 28, 28), DataShape.Image(1, 28, 28));
        }
        var empty = train.Take(0);
        return new DataSplits(train, empty, empty);
    }

    /// <summary>
    /// Steady-state training rate through <see cref="Trainer"/>: steps of the second epoch, timed
    /// between progress reports; with <paramref name="residentPerEpoch"/>, the resident memory after each epoch.
    /// </summary>
    static BenchResult TrainerThroughput(string name, string description, ModelOptions options, DataSplits data, int batch, double peak,
        int epochs = 2, List<double>? residentPerEpoch = null)
    {
        using var folder = new TemporaryFolder();
        manual_seed(1);
        using var model = ModelCatalog.Of(options).Create(options, data.Shape);
        var clock = new StepClock(epoch: 1, residentPerEpoch);
        new Trainer(new TrainingOptions { Epochs = epochs, BatchSize = batch, Schedule = ScheduleKind.Constant, Warmup = 0 }, clock)
            .Fit(model, data, new RunTrainingStore(RunDirectory.New(folder.Path)), resume: false);
        double perSecond = clock.ExamplesPerSecond(batch);
        double gflops = TrainingMacs(model, data.Train, batch) * 2 * perSecond / batch / 1e9;
        return new BenchResult(name, description, perSecond, gflops, gflops / peak);
    }

    static BenchResult EncodeThroughput(string name, ModelOptions options, Dataset data, double peak, TimeSpan window)
    {
        manual_seed(1);
        using var model = ModelCatalog.Of(options).Create(options, data.Shape);
        model.eval();
        var batch = data.Features.narrow(0, 0, 1000);
        long macs;
        using (no_grad()) macs = MacCounter.Forward(model, () => model.Encode(batch).Dispose());
        var clock = Stopwatch.StartNew();
        long encoded = 0;
        using (no_grad())
            while (clock.Elapsed < window)
            {
                using var scope = NewDisposeScope();
                model.Encode(batch);
                encoded += 1000;
            }
        double perSecond = encoded / clock.Elapsed.TotalSeconds;
        // Counting the whole forward pass would include the decoder; Encode runs the encoder only, so count it alone.
        double gflops = macs * 2.0 * perSecond / 1000 / 1e9;
        return new BenchResult(name, "posterior means of the reference VAE, no gradients", perSecond, gflops, gflops / peak);
    }

    /// <summary>Multiply-adds of one training step (forward, and a backward pass twice its cost).</summary>
    static double TrainingMacs(Autoencoder model, Dataset data, int batch)
    {
        var x = data.Features.narrow(0, 0, batch);
        return 3.0 * MacCounter.Forward(model, () => model.Loss(x, LossContext.Final()).Total.Dispose());
    }

    static double ResidentMiB(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return double.NaN;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    static string Machine()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()
            : null;
        return $"{model ?? "unknown CPU"}, {Environment.ProcessorCount} logical cores, {Environment.OSVersion}";
    }

    /// <summary>Times the steps of one epoch from the trainer's progress reports; optionally notes resident memory after each epoch.</summary>
    sealed class StepClock(int epoch, List<double>? residentPerEpoch) : ITrainingObserver
    {
        public void OnEpoch(EpochMetrics metrics) => residentPerEpoch?.Add(ResidentMiB("VmRSS"));

        readonly Stopwatch _clock = Stopwatch.StartNew();
        (TimeSpan Time, long Step)? _first, _last;

        public void OnProgress(TrainingProgress progress)
        {
            if (progress.Epoch != epoch) return;
            _first ??= (_clock.Elapsed, progress.Step);
            _last = (_clock.Elapsed, progress.Step);
        }

        public double ExamplesPerSecond(int batch) =>
            _first is { } first && _last is { } last && last.Step > first.Step
                ? (last.Step - first.Step) * batch / (last.Time - first.Time).TotalSeconds
                : double.NaN;
    }

    sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "latent-bench-" + Guid.NewGuid().ToString("N")[..8]);
        public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
    }
}
