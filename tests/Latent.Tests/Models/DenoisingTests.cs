using Latent.Families;
using Latent.Data;
using Latent.Data.Sources;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.Denoising;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

public sealed class DenoisingTests
{
    [Theory]
    [InlineData("mask:0.5", NoiseKind.Mask, 0.5)]
    [InlineData("gaussian:0.3", NoiseKind.Gaussian, 0.3)]
    [InlineData(" salt-pepper : 0.2 ", NoiseKind.SaltPepper, 0.2)]
    public void Noise_specs_parse_into_a_kind_and_a_level(string spec, NoiseKind kind, double level) =>
        Assert.Equal(new NoiseSpec(kind, level), NoiseSpec.Parse(spec));

    [Theory]
    [InlineData("mask")]
    [InlineData("blur:0.2")]
    [InlineData("mask:1")]
    [InlineData("mask:-0.1")]
    [InlineData("gaussian:0")]
    [InlineData("gaussian:x")]
    public void Bad_noise_specs_are_user_errors(string spec)
    {
        var error = Assert.Throws<UserInputException>(() => NoiseSpec.Parse(spec));
        Assert.Contains("Noise", error.Message);
        Assert.Equal([nameof(DaeOptions.Noise)], error.Options);
    }

    [Fact]
    public void Masking_hides_the_given_fraction_behind_the_fill_value_or_the_mask_token()
    {
        manual_seed(7);
        using var scope = NewDisposeScope();
        var images = rand(64, 1, 16, 16);
        var corrupted = new Corruption(new NoiseSpec(NoiseKind.Mask, 0.3), DataShape.Image(1, 16, 16)).Apply(images, full(1, -1f));
        Assert.InRange(corrupted.Positions.to(ScalarType.Float32).mean().item<float>(), 0.28, 0.32);
        Assert.True(corrupted.Input.masked_select(corrupted.Positions).eq(-1).all().item<bool>());
        Assert.True(corrupted.Input.masked_select(corrupted.Positions.logical_not()).SameAs(images.masked_select(corrupted.Positions.logical_not())));

        var ids = randint(2, 20, [64, 32]);
        var tokens = new Corruption(new NoiseSpec(NoiseKind.Mask, 0.15), DataShape.Tokens(32, 20)).Apply(ids, null);
        Assert.True(tokens.Input.masked_select(tokens.Positions).eq(Vocabulary.Mask).all().item<bool>());
    }

    [Fact]
    public void Gaussian_noise_touches_everything_and_salt_and_pepper_sets_extremes()
    {
        manual_seed(8);
        using var scope = NewDisposeScope();
        var images = full(32, 1, 16, 16, 0.5f);
        var gaussian = new Corruption(new NoiseSpec(NoiseKind.Gaussian, 0.3), DataShape.Image(1, 16, 16)).Apply(images, null);
        Assert.True(gaussian.Positions.all().item<bool>());
        Assert.InRange((gaussian.Input - images).std().item<float>(), 0.28, 0.32);

        var salted = new Corruption(new NoiseSpec(NoiseKind.SaltPepper, 0.2), DataShape.Image(1, 16, 16)).Apply(images, null);
        var changed = salted.Input.masked_select(salted.Positions);
        Assert.True((changed.eq(0) | changed.eq(1)).all().item<bool>());

        var ids = full(16, 32, 5L);
        var replaced = new Corruption(new NoiseSpec(NoiseKind.SaltPepper, 0.5), DataShape.Tokens(32, 9)).Apply(ids, null);
        var randomTokens = replaced.Input.masked_select(replaced.Positions);
        Assert.True((randomTokens.ge(Vocabulary.Reserved) & randomTokens.lt(9)).all().item<bool>());
    }

    [Theory]
    [InlineData("tokens", "gaussian:0.3", Architecture.Mlp, "real-valued noise")]
    [InlineData("table", "salt-pepper:0.2", Architecture.Mlp, "minimum and maximum")]
    [InlineData("table", "mask:0.2", Architecture.Transformer, "needs images or tokens")]
    [InlineData("image", "mask:0.2", Architecture.Vit, "Family mae")]
    [InlineData("tokens", "mask:0.2", Architecture.Conv, "Arch conv needs images")]
    public void Impossible_combinations_are_user_errors(string kind, string noise, Architecture architecture, string expected)
    {
        var shape = kind switch { "tokens" => DataShape.Tokens(16, 30), "table" => DataShape.Table(5), _ => DataShape.Image(1, 32, 32) };
        var error = Assert.Throws<UserInputException>(() => ModelCatalog.Find("dae").Validate(new DaeOptions { Noise = noise, Arch = architecture }, shape));
        Assert.Contains(expected, error.Message);
        Assert.Throws<UserInputException>(() => new DaeOptions { MaskValue = 0.5 }.Validate(DataShape.Table(5)));
        Assert.Throws<UserInputException>(() => new DaeOptions { LearnMaskValue = true }.Validate(DataShape.Tokens(16, 30)));
    }

    static List<double> Train(Autoencoder model, Tensor data, int steps, double learningRate = 3e-3, int batchSize = 64)
    {
        using var optimizer = new Adam(model.named_parameters());
        model.train();
        var losses = new List<double>();
        int batches = (int)(data.shape[0] / batchSize);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(step);
            optimizer.ZeroGrad();
            var loss = model.Loss(data.narrow(0, step % batches * batchSize, batchSize), LossContext.Training(new TrainingPosition(0, step, batches), 0));
            loss.Total.backward();
            optimizer.Step(learningRate);
            losses.Add(loss.Total.item<float>());
        }
        model.eval();
        return losses;
    }

    [Theory]
    [InlineData(Architecture.Mlp)]
    [InlineData(Architecture.Transformer)]
    public void A_masked_token_model_fills_in_words_far_better_than_the_most_frequent_token(Architecture architecture)
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.txt"), Latent.Tests.Data.TextSourceTests.SeededText(words: 3000));
        var (train, _, test) = TextSource.Load(folder.File("t.txt"), new TextSettings(TokenLevel.Char, 16, 4, null, null), validationFraction: 0, seed: 1);
        manual_seed(3);
        var options = new DaeOptions { Arch = architecture, Noise = "mask:0.15", LossOn = LossOn.Masked, Width = 32, Depth = 2, AttentionHeads = 2, Hidden = [128], LatentDim = 128 };
        options.Validate(train.Shape);
        using var model = new DenoisingAutoencoder(options, train.Shape);
        Train(model, train.Features, steps: 400);

        var figures = RestorationEstimates.Evaluate(model, test, new EvaluationOptions());
        // The space (between random words) is the most frequent character, about a quarter of the text.
        Assert.True(figures["masked_token_accuracy"] > 1.5 * figures["unigram_masked_token_accuracy"],
            $"accuracy {figures["masked_token_accuracy"]} vs unigram {figures["unigram_masked_token_accuracy"]}");
        Assert.True(figures["masked_token_accuracy"] > 6 * figures["chance_masked_token_accuracy"], $"accuracy {figures["masked_token_accuracy"]}");
    }

    [Fact]
    public void A_table_model_restores_a_hidden_column_from_the_others_whatever_their_scale()
    {
        manual_seed(4);
        using var scope = NewDisposeScope();
        // Columns a, b, a + b, 100·(a − b), 5 + 2a: any one follows from two others.
        var a = randn(2048, 1);
        var b = randn(2048, 1);
        var rows = cat([a, b, a + b, 100 * (a - b), 5 + 2 * a], 1);
        var shape = DataShape.Table(5);
        var options = new DaeOptions { Noise = "mask:0.2", Hidden = [64], LatentDim = 64 };
        using var model = new DenoisingAutoencoder(options, shape);
        Train(model, rows.narrow(0, 0, 1536), steps: 400);

        var test = new Dataset(rows.narrow(0, 1536, 512), shape);
        var figures = RestorationEstimates.Evaluate(model, test, new EvaluationOptions());
        Assert.True(figures["masked_mse"] < 0.2 * figures["mean_fill_masked_mse"], $"{figures["masked_mse"]} vs mean fill {figures["mean_fill_masked_mse"]}");

        using var noGrad = no_grad();
        var missing = zeros([512, 5], ScalarType.Bool);
        missing[.., 3] = tensor(true);
        var filled = model.Inpaint(test.Features, missing);
        Assert.True(filled.Filled[.., ..3].SameAs(test.Features[.., ..3]));
        var relativeError = (filled.Filled[.., 3] - test.Features[.., 3]).abs().mean() / test.Features[.., 3].abs().mean();
        Assert.True(relativeError.item<float>() < 0.3, $"relative error {relativeError.item<float>()}");
    }

    [Fact]
    public void Inpainting_keeps_what_is_visible_and_needs_a_masking_model()
    {
        var data = TestData.Shapes();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data.Test.Features.narrow(0, 0, 4);
        var missing = rand(x.shape).lt(0.5);
        using var model = new DenoisingAutoencoder(new DaeOptions { Hidden = [32], LatentDim = 16 }, data.Shape);
        var result = model.Inpaint(x, missing);
        Assert.True(result.Filled.masked_select(missing.logical_not()).SameAs(x.masked_select(missing.logical_not())));
        Assert.True(result.Hidden.SameAs(missing));

        using var gaussian = new DenoisingAutoencoder(new DaeOptions { Noise = "gaussian:0.2", Hidden = [32], LatentDim = 16 }, data.Shape);
        Assert.Contains("Noise mask", Assert.Throws<UserInputException>(() => gaussian.Inpaint(x, missing)).Message);
    }

    [Fact]
    public void A_fixed_mask_value_adds_no_parameter_and_a_learned_one_is_a_per_pixel_tensor()
    {
        var shape = DataShape.Image(1, 32, 32);
        using var learned = new DenoisingAutoencoder(new DaeOptions { LearnMaskValue = true }, shape);
        using var fixedValue = new DenoisingAutoencoder(new DaeOptions { MaskValue = 0.5 }, shape);
        Assert.Equal(new long[] { 1, 32, 32 }, learned.state_dict()["maskEmbedding"].shape);
        Assert.DoesNotContain("maskEmbedding", fixedValue.state_dict().Keys);
    }
}
