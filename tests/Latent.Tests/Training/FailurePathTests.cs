using Latent.Nn;
using Latent.Data;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Models.VectorQuantized;
using Latent.Runs;
using Latent.Training;
using TorchSharp.Modules;
using static Latent.Tests.Cli.CliRunner;
using static TorchSharp.torch;

namespace Latent.Tests.Training;

/// <summary>A divergence, a bad device or a failed resume never costs a run its files (issue 13, items 1–6).</summary>
public sealed class FailurePathTests
{
    /// <summary>
    /// A tiny linear autoencoder whose loss stays finite but has an infinite derivative at chosen steps:
    /// 0·√c with c = 0 in value is 0, and its gradient ∞·0 is NaN in every weight.
    /// </summary>
    sealed class InfiniteSlope : Autoencoder
    {
        private readonly Linear encoder;
        private readonly Linear decoder;
        readonly HashSet<long> _steps;

        public InfiniteSlope(DataShape shape, IEnumerable<long> steps) : base("slope", new PlainOptions(), shape)
        {
            manual_seed(1);
            encoder = nn.Linear(shape.Size, 4);
            decoder = nn.Linear(4, shape.Size);
            _steps = steps.ToHashSet();
            RegisterComponents();
        }

        public override Tensor Encode(Tensor x) => encoder.forward(x.flatten(1));
        public override Tensor Decode(Tensor z) => decoder.forward(z).reshape([z.shape[0], .. Shape.Dimensions]);

        public override LossTerms Loss(Tensor x, LossContext context)
        {
            var reconstruction = nn.functional.mse_loss(Reconstruct(x), x);
            bool poisoned = context.Position is { } position && _steps.Remove(position.Step);
            if (!poisoned) return new LossTerms(reconstruction, (LossTerms.Reconstruction, reconstruction));
            var zero = (encoder.weight! * 0).sum() + (decoder.weight! * 0).sum();   // 0, with a gradient path to every weight
            var total = reconstruction + 0 * zero.sqrt();
            return new LossTerms(total, (LossTerms.Reconstruction, reconstruction));
        }
    }

    static IEnumerable<string> SafeTensorFiles(string folder) => Directory.EnumerateFiles(folder, "*.safetensors", SearchOption.AllDirectories);

    [Fact]
    public void A_finite_loss_with_a_non_finite_gradient_is_never_stepped_and_no_file_ever_holds_a_nan()
    {
        using var folder = new TempDirectory();
        var all = TestData.Shapes(256);                                          // 4 steps of 64 per epoch
        var data = new DataSplits(all.Train, all.Train.Take(0), all.Test);        // --validation-fraction 0: every epoch is "best"
        var run = RunDirectory.New(folder.File("run"));
        using var model = new InfiniteSlope(data.Shape, [6]);
        var recorder = new Recorder();
        var options = new TrainingOptions { Epochs = 3, BatchSize = 64, Seed = 2, CheckpointEvery = 1 };

        var state = new Trainer(options, recorder).Fit(model, data, new RunTrainingStore(run), resume: false);

        Assert.Equal(3, state.Epoch);
        Assert.Equal(1, state.Rollbacks);
        var warning = Assert.Single(recorder.Warnings);
        Assert.Contains("the gradient became non-finite", warning);
        Assert.Contains("rolled back to step 4", warning);             // the end of epoch 1, the last checkpoint known to be good
        Assert.True(Finite.All(model.parameters()), "the weights in memory are finite");
        var files = SafeTensorFiles(run.Path).ToList();
        Assert.Contains(files, file => file.EndsWith("good.safetensors", StringComparison.Ordinal));
        foreach (var file in files)
            foreach (var (name, tensor) in SafeTensors.Load(file).Tensors)
                Assert.True(Finite.All(tensor), $"{Path.GetFileName(file)}: {name} holds a non-finite number");
    }

    [Fact]
    public void A_rollback_to_a_checkpoint_before_the_kmeans_initialisation_redoes_it()
    {
        manual_seed(3);
        using var codebook = new Codebook(8, 2, new CodebookTraining(Ema: true, EmaDecay: 0.99, KmeansInit: true, RestartAfter: 0));
        var before = ModuleWeights.Of(codebook).ToDictionary(t => t.Name, t => t.Tensor.clone());    // initted = 0
        using var vectors = randn(64, 2) * 5 + 10;                                                     // far from the random codes

        manual_seed(4);
        codebook.InitialiseIfNeeded(vectors);
        var initialised = codebook.Embedding.clone();
        Assert.True(initialised.mean().item<float>() > 5, "k-means moved the codes to the data");

        ModuleWeights.Load(codebook, before, "the first checkpoint");                                  // a rollback
        Assert.True(codebook.Embedding.mean().item<float>() < 5);
        manual_seed(4);
        codebook.InitialiseIfNeeded(vectors);
        Assert.True(codebook.Embedding.SameAs(initialised), "the initialisation ran again, as it did the first time");
    }

    [Theory]
    [InlineData("cuda", "libtorch-cuda")]
    [InlineData("cuda:0", "libtorch-cuda")]
    [InlineData("gpu", "is not a device")]
    public void A_device_this_build_cannot_use_is_refused_before_anything_is_written(string device, string expected)
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run("train", "--data", "shapes", "--limit", "200", "--epochs", "1", "--device", device, "--out", folder.File("run"), "--quiet"), expected);
        Assert.False(Directory.Exists(folder.File("run")));
    }

    static Dictionary<string, string> Snapshot(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                 .Where(path => !RunLock.FileNames.Contains(Path.GetFileName(path)))
                 .ToDictionary(path => Path.GetRelativePath(folder, path), path => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));

    [Fact]
    public void A_resume_that_cannot_work_changes_nothing()
    {
        using var folder = new TempDirectory();
        var csv = folder.File("table.csv");
        var random = new Random(5);
        File.WriteAllLines(csv, Enumerable.Range(0, 120).Select(_ => string.Join(",", Enumerable.Range(0, 6).Select(_ => random.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--data", $"csv:{csv}", "--epochs", "2", "--hidden", "16", "--latent-dim", "2", "--out", run, "--quiet").Code);
        var before = Snapshot(run);

        AssertUsageError(Run("train", "--resume", "--out", run, "--epochs", "1", "--quiet"), "has already trained 2 epochs");
        Assert.Equal(before, Snapshot(run));

        File.Delete(csv);
        AssertUsageError(Run("train", "--resume", "--out", run, "--epochs", "4", "--quiet"), "does not exist");
        Assert.Equal(before, Snapshot(run));   // the manifest still says 2 epochs
    }

    [Fact]
    public void A_closed_form_fit_appears_whole_or_not_at_all()
    {
        using var folder = new TempDirectory();
        // A stale staging folder of a process that died is cleared; a successful fit leaves no staging behind.
        var stale = folder.File(".pca.partial-999999");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "manifest.json"), "{}");
        Assert.Equal(0, Run("pca", "--data", "shapes", "--limit", "300", "--components", "4", "--out", folder.File("pca"), "--quiet").Code);
        Assert.True(File.Exists(folder.File("pca/manifest.json")) && File.Exists(folder.File("pca/model.safetensors")) && File.Exists(folder.File("pca/fit.json")));
        Assert.Equal(["pca"], Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName));

        // A fit that fails leaves nothing: not the run, not its staging folder.
        AssertUsageError(Run("pca", "--data", "shapes", "--limit", "300", "--components", "5000", "--out", folder.File("big"), "--quiet"), "--components 5000");
        Assert.Equal(["pca"], Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName));

        // A staging folder that cannot be moved into place (someone filled the target meanwhile) is removed.
        var staging = RunDirectory.Staging(folder.File("taken"));
        File.WriteAllText(staging.File("manifest.json"), "{}");
        Directory.CreateDirectory(folder.File("taken"));
        File.WriteAllText(folder.File("taken/other.txt"), "someone else's");
        Assert.Throws<UserInputException>(() => staging.MoveTo(folder.File("taken")));
        staging.DeleteIfStaging();
        Assert.False(Directory.Exists(staging.Path));
        Assert.Equal("someone else's", File.ReadAllText(folder.File("taken/other.txt")));
    }

    [Fact]
    public void Atomic_writes_remove_the_temporary_files_of_writers_that_died_and_report_their_own_errors()
    {
        using var folder = new TempDirectory();
        var orphan = folder.File(".eval.json.999999.tmp");
        File.WriteAllText(orphan, "torn");
        var live = folder.File($".eval.json.{Environment.ProcessId}.tmp.keep");
        File.WriteAllText(live, "not a temporary of this file");
        AtomicFile.WriteAllText(folder.File("eval.json"), "{}");
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(live));
        Assert.Equal("{}", File.ReadAllText(folder.File("eval.json")));

        File.WriteAllText(folder.File("plain"), "a file");
        var error = Assert.Throws<UserInputException>(() => AtomicFile.WriteAllText(folder.File("plain/below.json"), "{}"));
        Assert.Contains("cannot be written because", error.Message);
        Directory.CreateDirectory(folder.File("a-folder"));
        Assert.Contains("is a folder", Assert.Throws<UserInputException>(() => AtomicFile.WriteAllText(folder.File("a-folder"), "{}")).Message);
    }

    [Fact]
    public void A_second_lock_on_a_run_names_the_process_that_holds_it()
    {
        using var folder = new TempDirectory();
        using (RunLock.Acquire(folder.Path, "latent train"))
        {
            var error = Assert.Throws<UserInputException>(() => RunLock.Acquire(folder.Path, "latent eval"));
            Assert.Contains($"is being written by process {Environment.ProcessId} (latent train)", error.Message);
        }
        using (RunLock.Acquire(folder.Path, "latent eval")) { }   // released with the first holder
    }

    sealed class Recorder : ITrainingObserver
    {
        public List<string> Warnings { get; } = [];
        public void OnWarning(string message) => Warnings.Add(message);
    }
}
