using Latent.Data;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Runs;
using Latent.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Tests.Training;

public sealed class DivergenceTests
{
    /// <summary>A tiny linear autoencoder whose loss turns NaN at chosen steps (once each, or for good).</summary>
    sealed class Flaky : Autoencoder
    {
        private readonly Linear encoder;
        private readonly Linear decoder;
        readonly HashSet<long> _nanSteps;
        readonly bool _forever;

        public Flaky(DataShape shape, IEnumerable<long> nanSteps, bool forever) : base("flaky", new PlainOptions(), shape)
        {
            manual_seed(1);
            encoder = nn.Linear(shape.Size, 4);
            decoder = nn.Linear(4, shape.Size);
            (_nanSteps, _forever) = (nanSteps.ToHashSet(), forever);
            RegisterComponents();
        }

        public override Tensor Encode(Tensor x) => encoder.forward(x.flatten(1));
        public override Tensor Decode(Tensor z) => decoder.forward(z).reshape([z.shape[0], .. Shape.Dimensions]);

        public override LossTerms Loss(Tensor x, LossContext context)
        {
            var reconstruction = nn.functional.mse_loss(Reconstruct(x), x);
            bool poisoned = context.Position is { } position && (_forever ? position.Step >= _nanSteps.Min() : _nanSteps.Remove(position.Step));
            var kl = poisoned ? tensor(float.NaN) : zeros(1).sum();
            return new LossTerms(reconstruction + kl, (LossTerms.Reconstruction, reconstruction), (KlTerm, kl));
        }
    }

    static readonly MetricKey KlTerm = MetricKey.Term("kl", "a term that turns NaN on purpose");

    static TrainingOptions Options => new() { Epochs = 3, BatchSize = 64, Seed = 2 };

    [Fact]
    public void A_non_finite_loss_rolls_back_halves_the_learning_rate_logs_it_and_finishes()
    {
        using var folder = new TempDirectory();
        var data = TestData.Shapes(256); // 4 steps per epoch
        var run = RunDirectory.New(folder.File("run"));
        using var model = new Flaky(data.Shape, [6], forever: false);
        var warnings = new List<string>();

        var state = new Trainer(Options, new Recorder(warnings)).Fit(model, data, new RunTrainingStore(run), resume: false);

        Assert.Equal(3, state.Epoch);
        Assert.Equal(0.5, state.LearningRateScale);
        Assert.Equal(1, state.Rollbacks);
        var warning = Assert.Single(warnings);
        Assert.Contains("step 6", warning);
        Assert.Contains("kl", warning);
        Assert.Contains("rolled back to step 4", warning);
        Assert.Contains("became non-finite", File.ReadAllText(run.File("train.log")));
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, MetricsLog.Read(run.MetricsPath).Select(row => row["epoch"]));
        Assert.All(MetricsLog.Read(run.MetricsPath), row => Assert.True(double.IsFinite(row["train_loss"])));
    }

    [Fact]
    public void A_run_that_keeps_diverging_stops_with_a_one_line_error()
    {
        using var folder = new TempDirectory();
        var data = TestData.Shapes(256);
        using var model = new Flaky(data.Shape, [2], forever: true);
        var error = Assert.Throws<UserInputException>(() =>
            new Trainer(Options, SilentObserver.Instance).Fit(model, data, new RunTrainingStore(RunDirectory.New(folder.File("run"))), resume: false));
        Assert.Contains("keeps diverging", error.Message);
        Assert.Contains("lower Lr", error.Message);
    }

    sealed class Recorder(List<string> warnings) : ITrainingObserver
    {
        public void OnWarning(string message) => warnings.Add(message);
    }
}
