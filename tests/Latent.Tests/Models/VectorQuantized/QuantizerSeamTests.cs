using Latent.Nn;
using Latent.Data;
using Latent.Evaluation;
using Latent.Families;
using Latent.Models;
using Latent.Models.VectorQuantized;
using Latent.Runs;
using Latent.Training;
using Latent.Workflows;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

/// <summary>Every quantizer through the same VQ-VAE: codes, decoding, losses, training, files, figures.</summary>
public sealed class QuantizerSeamTests
{
    static readonly VqOptions Small = new() { Arch = Architecture.Conv, LatentDim = 8, Channels = [8, 16], CodebookSize = 32, PriorEpochs = 0 };

    /// <summary>Each quantizer with options that exercise it; K = 32 codes (FSQ: levels 4,4,2; RVQ: 2 stages of 32).</summary>
    public static TheoryData<string> Quantizers() => new() { "vq", "vq-cosine-rotation", "fsq", "lfq", "rvq" };

    /// <summary>Further cases for the PyTorch mirrors: projections, heads, shared codebooks, default levels.</summary>
    public static TheoryData<string> MoreQuantizers() => new() { "fsq-projected", "lfq-heads", "rvq-shared-heads", "vq-cosine-heads" };

    internal static VqOptions OptionsOf(string name) => name switch
    {
        "vq" => Small,
        "vq-cosine-rotation" => Small with { Cosine = true, Gradient = GradientEstimator.Rotation, Ema = false },
        "vq-cosine-heads" => Small with { Cosine = true, Heads = 2, CodeDim = 3 },
        "fsq" => Small with { Quantizer = QuantizerKind.Fsq, Levels = [4, 4, 2], Heads = 2 },
        "fsq-projected" => Small with { Quantizer = QuantizerKind.Fsq, CodebookSize = 1024 },
        "lfq" => Small with { Quantizer = QuantizerKind.Lfq },
        "lfq-heads" => Small with { Quantizer = QuantizerKind.Lfq, Heads = 2, CodebookSize = 16 },
        "rvq" => Small with { Quantizer = QuantizerKind.Rvq, Stages = 2, QuantizerDropout = 0.5, Gradient = GradientEstimator.Rotation },
        "rvq-shared-heads" => Small with { Quantizer = QuantizerKind.Rvq, Stages = 3, SharedCodebook = true, Heads = 2, CodeDim = 3 },
        _ => throw new ArgumentException(name),
    };

    internal static VqVae Build(VqOptions options, DataShape shape)
    {
        options.Validate(shape);
        manual_seed(1);
        return new VqVae(options, shape);
    }

    [Theory]
    [InlineData(QuantizerKind.Fsq, nameof(VqOptions.RestartAfter), 0, "RestartAfter does not apply to Family vqvae Arch conv Quantizer fsq; drop it, or pass Quantizer vq or rvq")]
    [InlineData(QuantizerKind.Lfq, nameof(VqOptions.Levels), new[] { 4, 4 }, "Levels does not apply to Family vqvae Arch conv Quantizer lfq; drop it, or pass Quantizer fsq")]
    [InlineData(QuantizerKind.Vq, nameof(VqOptions.Stages), 3, "Stages does not apply to Family vqvae Arch conv Quantizer vq; drop it, or pass Quantizer rvq")]
    [InlineData(QuantizerKind.Rvq, nameof(VqOptions.BatchEntropyWeight), 0.5, "BatchEntropyWeight does not apply to Family vqvae Arch conv Quantizer rvq; drop it, or pass Quantizer lfq")]
    public void A_changed_option_its_quantizer_does_not_take_is_refused_naming_the_quantizers_that_do(QuantizerKind kind, string property, object value, string expected)
    {
        var options = Small with { Quantizer = kind, CodebookSize = kind == QuantizerKind.Fsq ? 1024 : 32 };
        typeof(VqOptions).GetProperty(property)!.SetValue(options, value);
        var error = Assert.Throws<UserInputException>(() => ModelCatalog.Find("vqvae").Validate(options, DataShape.Image(1, 16, 16)));
        Assert.Equal(expected, error.Message);
        // The command line respells every name the message lists: "--restart-after does not apply to --model vqvae --arch conv --quantizer fsq; ...".
        Assert.Equal("--" + OptionNames.Kebab(property) + " does not apply to --model vqvae --arch conv --quantizer " + OptionNames.Kebab(kind) + expected[expected.IndexOf(';')..].Replace("Quantizer", "--quantizer"),
            error.MessageIn(Latent.Cli.CommandLine.OptionBinder.Flag));
    }

    [Fact]
    public void Every_quantizer_case_of_these_tests_sets_only_options_its_quantizer_takes()
    {
        foreach (var name in Quantizers().Concat<object[]>(MoreQuantizers()).Select(row => (string)row[0]))
            ModelCatalog.Find("vqvae").Validate(OptionsOf(name), DataShape.Image(1, 16, 16));
    }

    [Theory]
    [MemberData(nameof(Quantizers))]
    public void Codes_decode_to_the_reconstruction_and_the_loss_is_its_named_terms(string name)
    {
        var data = TestData.Shapes();
        using var model = Build(OptionsOf(name), data.Shape);
        model.eval();
        var x = data.Test.Features.narrow(0, 0, 6);
        using (no_grad())
        {
            using var codes = model.Codes(x);
            Assert.Equal(new long[] { 6, 64, model.Space.CodesPerPosition }, codes.shape);
            Assert.True(codes.ge(0).all().item<bool>() && codes.lt(model.CodebookSize).all().item<bool>());
            Assert.True(model.DecodeCodes(codes).allclose(model.Reconstruct(x), atol: 1e-5));
            Assert.True(model.DecodeCodes(codes, model.Space.Stages).allclose(model.DecodeCodes(codes), atol: 1e-6));
        }
        var loss = model.Loss(x, LossContext.Final());
        Assert.Equal("recon", loss.Terms[0].Term.Name);
        Assert.Equal(loss.Terms.Sum(t => t.Value.item<float>()), loss.Total.item<float>(), 5);
        if (name == "fsq") Assert.Single(loss.Terms);
    }

    [Theory]
    [MemberData(nameof(Quantizers))]
    public void A_few_steps_of_training_lower_the_loss(string name)
    {
        var data = TestData.Shapes();
        using var model = Build(OptionsOf(name), data.Shape);
        model.train();
        using var adam = new Adam(model.named_parameters());
        var x = data.Train.Features.narrow(0, 0, 64);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            adam.ZeroGrad();
            var loss = model.Loss(x, LossContext.Training(new TrainingPosition(0, step, 40), 64));
            loss.Total.backward();
            adam.Step(3e-3);
            double recon = loss.Terms[0].Value.item<float>();
            if (step == 0) first = recon;
            last = recon;
        }
        Assert.True(last < 0.8 * first, $"{name}: reconstruction {first} → {last}");
    }

    [Theory]
    [MemberData(nameof(Quantizers))]
    public void A_vq_file_holds_exactly_the_reported_bits_and_decodes_back(string name)
    {
        using var folder = new TempDirectory();
        var data = TestData.Shapes();
        using var model = Build(OptionsOf(name), data.Shape);
        model.eval();
        var path = folder.File("codes.vq");
        long bytes = PackedCodes.Encode(model, data.Test, path);
        var content = PackedCodes.Read(path);
        long header = name.StartsWith("vq", StringComparison.Ordinal) ? 16 + 8 + 8 : 16 + 8 + 8 + 1 + 2 * model.Space.Levels.Count;
        Assert.Equal(header + (data.Test.Count * model.BitsPerExample + 7) / 8, bytes);
        Assert.True(content.Space.Matches(model.Space));
        using var codes = DiscreteCodes.Of(model, data.Test);
        Assert.True(content.Codes.SameAs(codes));
        using var decoded = PackedCodes.Decode(model, path);
        using (no_grad()) Assert.True(decoded.allclose(model.Reconstruct(data.Test.Features), atol: 1e-5));
    }

    [Fact]
    public void Fsq_bits_are_the_exact_product_of_the_levels()
    {
        var shape = TestData.Shapes().Shape;
        using var model = Build(Small with { Quantizer = QuantizerKind.Fsq, Levels = [8, 5, 5, 5], CodebookSize = 512 }, shape); // 1000 codes at 64 positions
        Assert.Equal((long)Math.Ceiling(64 * Math.Log2(1000)), model.BitsPerExample); // 638, where 10-bit fields would take 640
        Assert.Equal(1000, model.CodebookSize);
    }

    [Fact]
    public void Codes_of_another_quantizer_with_the_same_size_are_refused()
    {
        using var folder = new TempDirectory();
        var data = TestData.Shapes();
        // FSQ 8,4 and LFQ of 5 bits both have 32 codes per position on the same grid.
        using var fsq = Build(Small with { Quantizer = QuantizerKind.Fsq, Levels = [8, 4] }, data.Shape);
        using var lfq = Build(Small with { Quantizer = QuantizerKind.Lfq }, data.Shape);
        using var vq = Build(Small, data.Shape);
        using var rvq = Build(Small with { Quantizer = QuantizerKind.Rvq, Stages = 1 }, data.Shape);
        var path = folder.File("codes.vq");
        PackedCodes.Encode(fsq, data.Test.Take(3), path);
        foreach (IDiscreteCodes other in new IDiscreteCodes[] { lfq, vq, rvq })
        {
            var error = Assert.Throws<UserInputException>(() => PackedCodes.Decode(other, path));
            Assert.Contains("that encoded it", error.Message);
            Assert.Contains("fsq", error.Message);
        }
        PackedCodes.Encode(rvq, data.Test.Take(3), path);
        Assert.Contains("rvq", Assert.Throws<UserInputException>(() => PackedCodes.Decode(vq, path)).Message);
    }

    [Fact]
    public void A_residual_model_reports_usage_per_stage_and_the_error_of_every_prefix()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Quantizer = QuantizerKind.Rvq, Stages = 3 }, data.Shape);
        model.eval();
        var figures = CodebookEstimates.Evaluate(model, data.Test, new EvaluationOptions());
        foreach (int stage in new[] { 1, 2, 3 })
        {
            Assert.InRange(figures[$"codebook_usage_stage_{stage}"], 1.0 / 32, 1);
            Assert.True(figures.ContainsKey($"test_mse_stages_{stage}"));
        }
        Assert.False(figures.ContainsKey("test_mse_stages_4"));
        Assert.Equal(Evaluator.ReconstructionError(model, data.Test), figures["test_mse_stages_3"], 6);
        Assert.Equal(64 * 3 * 5, figures["bits_per_example"]);
        Assert.All(figures.Keys, key => Assert.NotNull(MetricKeys.Find(key)));
        var diagnosis = CodebookEstimates.Diagnose(model, data.Validation);
        Assert.True(diagnosis.Figures.ContainsKey("codebook_usage_stage_2"));
    }

    [Fact]
    public void The_prior_over_codes_samples_through_any_quantizer()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Quantizer = QuantizerKind.Rvq, Stages = 2, PriorEpochs = 1, PriorWidth = 8, PriorLayers = 1 }, data.Shape);
        Assert.NotNull(model.PrepareSecondStage(data)); // counts the codes; the transformer would train on [N, P·S·L]
        manual_seed(2);
        using var samples = model.Sample(3);
        Assert.Equal(new long[] { 3, 1, 32, 32 }, samples.shape);
        Assert.Equal(model.Positions, model.Prior.Positions);
        Assert.Equal(2, model.Prior.Heads);
    }

    [Fact]
    public void A_learned_vq_keeps_its_state_dict_keys()
    {
        using var model = Build(Small with { Heads = 2, CodeDim = 3 }, TestData.Shapes().Shape);
        Assert.All(model.state_dict().Keys, key => Assert.Matches("^(encoder|quantizer|decoder|prior)\\.", key));
        var keys = model.state_dict().Keys.Where(key => key.StartsWith("quantizer.", StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(new[]
        {
            "quantizer.codebooks.0.cluster_size", "quantizer.codebooks.0.embed", "quantizer.codebooks.0.embed_avg", "quantizer.codebooks.0.initted", "quantizer.codebooks.0.steps_unused",
            "quantizer.codebooks.1.cluster_size", "quantizer.codebooks.1.embed", "quantizer.codebooks.1.embed_avg", "quantizer.codebooks.1.initted", "quantizer.codebooks.1.steps_unused",
            "quantizer.project_in.bias", "quantizer.project_in.weight", "quantizer.project_out.bias", "quantizer.project_out.weight",
        }, keys);
    }

    [Fact]
    public void An_interrupted_residual_run_with_quantizer_dropout_resumes_bit_identically()
    {
        using var folder = new TempDirectory();
        TrainRequest Request(string outPath) => new(
            new VqOptions { Quantizer = QuantizerKind.Rvq, Stages = 3, QuantizerDropout = 1, Hidden = [32], LatentDim = 4, Slots = 4, CodebookSize = 16, RestartAfter = 3, PriorEpochs = 0 },
            new DataOptions { Data = "shapes", Limit = 320 },
            new TrainingOptions { Epochs = 2, BatchSize = 32, CheckpointEvery = 4, Seed = 5 },
            outPath);
        TrainingRun.Start(Request(folder.File("whole")), SilentObserver.Instance);
        Assert.Throws<OperationCanceledException>(() => TrainingRun.Start(Request(folder.File("resumed")), new InterruptAt(10)));
        TrainingRun.Resume(folder.File("resumed"), epochs: null, SilentObserver.Instance);
        var whole = SafeTensors.Load(folder.File("whole/model.safetensors")).Tensors;
        var resumed = SafeTensors.Load(folder.File("resumed/model.safetensors")).Tensors;
        Assert.Contains("quantizer.codebooks.2.embed", whole.Keys);
        foreach (var key in whole.Keys) Assert.True(whole[key].SameAs(resumed[key]), $"{key} differs");
    }
}
