using Latent.Nn;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.VectorQuantized;
using Latent.Runs;
using Latent.Workflows;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class VqVaeTests
{
    static VqVae Build(VqOptions options, DataShape shape, int seed = 1)
    {
        options.Validate(shape);
        manual_seed(seed);
        return new VqVae(options, shape);
    }

    static readonly VqOptions Small = new() { LatentDim = 8, Hidden = [64], Channels = [8, 16], CodebookSize = 32, PriorEpochs = 0 };

    [Theory]
    [InlineData(32, 8)]
    [InlineData(28, 7)]
    public void A_conv_model_quantises_a_grid_of_codes(int side, int grid)
    {
        var shape = DataShape.Image(1, side, side);
        using var model = Build(Small with { Arch = Architecture.Conv, Heads = 2 }, shape);
        model.eval();
        using var x = rand(3, 1, side, side);
        using var codes = model.Codes(x);
        Assert.Equal(new[] { grid, grid }, model.Grid);
        Assert.Equal(new long[] { 3, grid * grid, 2 }, codes.shape);
        Assert.True(codes.ge(0).all().item<bool>() && codes.lt(32).all().item<bool>());
        Assert.Equal(grid * grid * 2 * 5, model.BitsPerExample); // K = 32: 5 bits per code
        Assert.Equal(grid * grid * 8, model.RepresentationSize);
    }

    [Fact]
    public void An_mlp_model_quantises_a_vector_of_slots()
    {
        var shape = DataShape.Image(1, 32, 32);
        using var model = Build(Small with { Slots = 5 }, shape);
        using var codes = model.Codes(rand(4, 1, 32, 32));
        Assert.Equal(new long[] { 4, 5, 1 }, codes.shape);
    }

    [Fact]
    public void Decoding_the_codes_gives_the_reconstruction()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Arch = Architecture.Conv, Heads = 2 }, data.Shape);
        model.eval();
        using var noGrad = no_grad();
        var x = data.Test.Features.narrow(0, 0, 6);
        Assert.True(model.DecodeCodes(model.Codes(x)).allclose(model.Reconstruct(x), atol: 1e-5));
    }

    [Fact]
    public void The_loss_names_its_terms_and_drops_the_codebook_loss_under_ema()
    {
        var data = TestData.Shapes();
        var x = data.Train.Features.narrow(0, 0, 16);
        var step = LossContext.Training(new TrainingPosition(0, 0, 1), 0);
        using var ema = Build(Small, data.Shape);
        Assert.Equal(new[] { "recon", "commitment" }, ema.Loss(x, step).Terms.Select(t => t.Term.Name));
        using var learned = Build(Small with { Ema = false }, data.Shape);
        var loss = learned.Loss(x, step);
        Assert.Equal(new[] { "recon", "codebook", "commitment" }, loss.Terms.Select(t => t.Term.Name));
        Assert.Equal(loss.Terms.Sum(t => t.Value.item<float>()), loss.Total.item<float>(), 5);
    }

    [Fact]
    public void Validation_never_changes_the_codebook()
    {
        var data = TestData.Shapes();
        using var model = Build(Small, data.Shape);
        model.train(); // the trainer validates in eval mode, but a validating step must be safe in any mode
        var state = ModuleWeights.Of(model).Select(t => (t.Name, t.Tensor.clone())).ToArray();
        model.Loss(data.Validation.Features, LossContext.Final());
        CodebookEstimates.Diagnose(model, data.Validation);
        foreach (var (name, before) in state)
            Assert.True(model.state_dict()[name].SameAs(before), name);
    }

    [Fact]
    public void Diagnose_and_evaluate_report_codebook_health_and_rate()
    {
        var data = TestData.Shapes();
        using var model = Build(Small, data.Shape);
        model.eval();
        var diagnosis = CodebookEstimates.Diagnose(model, data.Validation);
        Assert.InRange(diagnosis.Figures["codebook_usage"], 1.0 / 32, 1);
        Assert.InRange(diagnosis.Figures["codebook_perplexity"], 1, 32);
        Assert.Equal(32 * (1 - diagnosis.Figures["codebook_usage"]), diagnosis.Figures["dead_codes"], 6);

        var figures = CodebookEstimates.Evaluate(model, data.Test, new EvaluationOptions());
        Assert.Equal(16 * 5, figures["bits_per_example"]); // 16 slots × 5 bits
        Assert.False(figures.ContainsKey("prior_bits_per_example")); // no prior fitted yet
    }

    [Fact]
    public void Codebook_health_counts_used_codes_and_perplexity()
    {
        var health = CodebookHealth.Measure([[5, 5, 0, 0], [1, 1, 1, 1]]);
        Assert.Equal(6.0 / 8, health.Usage);
        Assert.Equal(2, health.DeadCodes);
        Assert.Equal((2 + 4) / 2.0, health.Perplexity, 9); // exp(entropy) per head: 2 and 4
    }

    [Fact]
    public void Sampling_before_the_prior_is_fitted_is_refused_with_the_fix()
    {
        var data = TestData.Shapes();
        using var model = Build(Small, data.Shape);
        var error = Assert.Throws<UserInputException>(() => model.Sample(2));
        Assert.Contains("resume its training", error.Message);
    }

    [Fact]
    public void The_second_stage_fits_a_prior_that_samples_images()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { PriorEpochs = 1, PriorWidth = 16, PriorLayers = 1 }, data.Shape);
        Stages.Train(model, data, seed: 3);
        Assert.True(model.Prior.IsAutoregressive);
        manual_seed(1);
        using var samples = model.Sample(5);
        Assert.Equal(new long[] { 5, 1, 32, 32 }, samples.shape);
        Assert.True(samples.ge(0).all().item<bool>() && samples.le(1).all().item<bool>());
        Assert.True(CodebookEstimates.Evaluate(model, data.Test, new EvaluationOptions())["prior_bits_per_example"] > 0);
    }

    static TrainRequest Request(string outPath, int checkpointEvery = 0) => new(
        new VqOptions { Hidden = [32], LatentDim = 4, Slots = 4, CodebookSize = 16, RestartAfter = 3, PriorEpochs = 1, PriorWidth = 8, PriorLayers = 1 },
        new DataOptions { Data = "shapes", Limit = 320 },
        new TrainingOptions { Epochs = 3, BatchSize = 32, CheckpointEvery = checkpointEvery, Seed = 5 },
        outPath);


    [Fact]
    public void An_interrupted_run_resumes_to_the_same_codebook_statistics_and_prior()
    {
        using var folder = new TempDirectory();
        TrainingRun.Start(Request(folder.File("whole"), checkpointEvery: 4), SilentObserver.Instance);
        Assert.Throws<OperationCanceledException>(() =>
            TrainingRun.Start(Request(folder.File("resumed"), checkpointEvery: 4), new InterruptAt(14)));
        TrainingRun.Resume(folder.File("resumed"), epochs: null, SilentObserver.Instance);

        foreach (var file in new[] { "checkpoint/last.safetensors", "model.safetensors" })
        {
            var whole = SafeTensors.Load(folder.File($"whole/{file}")).Tensors;
            var resumed = SafeTensors.Load(folder.File($"resumed/{file}")).Tensors;
            Assert.Equal(whole.Keys.Order(), resumed.Keys.Order());
            Assert.Contains(whole.Keys, key => key.EndsWith("steps_unused", StringComparison.Ordinal));
            Assert.Contains(whole.Keys, key => key.EndsWith("embed_avg", StringComparison.Ordinal));
            foreach (var key in whole.Keys) Assert.True(whole[key].SameAs(resumed[key]), $"{file}: {key} differs");
        }
        foreach (var figure in new[] { "codebook-usage.png", "samples.png", "reconstructions.png" })
            Assert.True(File.Exists(folder.File($"whole/{figure}")), figure);
    }
}
