using Latent.Data;
using Latent.Evaluation;
using Latent.Families;
using Latent.Models;
using Latent.Models.Variational;
using Latent.Nn;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models.Variational;

/// <summary>
/// The likelihoods whose nats are a negative log-likelihood of the data: the Bernoulli on dynamically binarised pixels
/// and the discretised logistic of 8-bit levels, and what eval says they are.
/// </summary>
public sealed class LikelihoodTests
{
    static readonly DataShape Images = DataShape.Image(1, 8, 8);

    static VariationalAutoencoder Build(VaeOptions options, DataShape shape, int seed = 3)
    {
        ModelCatalog.Find("vae").Validate(options, shape);
        manual_seed(seed);
        return new VariationalAutoencoder(options, shape);
    }

    /// <summary>Grey images on the 8-bit levels: a bright square whose place and brightness vary, over a dark background.</summary>
    static Tensor GreyImages(int count, int seed)
    {
        manual_seed(seed);
        var images = zeros(count, 1, 8, 8);
        var brightness = rand(count);
        for (int n = 0; n < count; n++)
        {
            int row = n % 5, column = n / 5 % 5;
            images[n, 0, TensorIndex.Slice(row, row + 3), TensorIndex.Slice(column, column + 3)] = brightness[n];
        }
        return DiscretizedLogistic.Quantize(images + 0.05f * rand(count, 1, 8, 8));
    }

    static float Recon(LossTerms terms) => terms.Terms.Single(term => term.Term == LossTerms.Reconstruction).Value.item<float>();

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && (a == b).all().item<bool>();

    static bool IsBinary(Tensor x) => ((x == 0) | (x == 1)).all().item<bool>();

    [Theory]
    [InlineData(0.0, -7.0)]
    [InlineData(-0.3, -4.0)]
    [InlineData(0.37, -1.5)]
    [InlineData(1.0, -5.5)]
    [InlineData(1.4, 1.0)]
    [InlineData(0.5, -9.0)]  // below the floor: the floor's scale
    public void The_discretized_logistic_probabilities_of_the_256_levels_sum_to_one(double mean, double logScale)
    {
        var levels = arange(DiscretizedLogistic.Levels, dtype: ScalarType.Float64) / (DiscretizedLogistic.Levels - 1);   // [256]
        var logProbability = DiscretizedLogistic.LogProbability(levels, full(256, mean, dtype: ScalarType.Float64), tensor(logScale, ScalarType.Float64));
        Assert.True(logProbability.isfinite().all().item<bool>(), "every level has a finite log-probability");
        Assert.Equal(0, logProbability.logsumexp(0).item<double>(), 6);

        // Against the definition: the edges take the tails, every other level its bin's mass.
        double s = Math.Exp(Math.Max(logScale, DiscretizedLogistic.MinimumLogScale));
        static double Sigmoid(double t) => 1 / (1 + Math.Exp(-t));
        var values = logProbability.data<double>().ToArray();
        Assert.Equal(Sigmoid((0.5 / 255 - mean) / s), Math.Exp(values[0]), 9);
        Assert.Equal(1 - Sigmoid((1 - 0.5 / 255 - mean) / s), Math.Exp(values[255]), 9);
        foreach (int k in new[] { 1, 94, 128, 254 })
        {
            double x = k / 255.0;
            Assert.Equal(Sigmoid((x + 0.5 / 255 - mean) / s) - Sigmoid((x - 0.5 / 255 - mean) / s), Math.Exp(values[k]), 9);
        }
    }

    [Fact]
    public void The_discretized_logistic_stays_finite_far_from_its_mean_and_rounds_off_level_values()
    {
        // A level 1100 scales away from μ: a plain difference of sigmoids would be 0 and its log −∞.
        var far = DiscretizedLogistic.LogProbability(tensor(new[] { 0.6, 0.99, 0.02 }), tensor(new[] { 0.0, 0.0, 1.0 }), tensor(-7.0));
        Assert.True(far.isfinite().all().item<bool>());
        Assert.True(far.max().item<double>() < -100);
        // Resampled grey values between levels are scored as the nearest level.
        var between = DiscretizedLogistic.LogProbability(tensor(new[] { 100.3 / 255 }), tensor(new[] { 0.4 }), tensor(-3.0));
        var level = DiscretizedLogistic.LogProbability(tensor(new[] { 100.0 / 255 }), tensor(new[] { 0.4 }), tensor(-3.0));
        Assert.Equal(level.item<double>(), between.item<double>(), 12);
    }

    [Fact]
    public void Dynamic_binarisation_feeds_the_loss_binary_pixels_drawn_afresh_every_epoch()
    {
        var grey = GreyImages(64, seed: 5);
        const long seed = 1, stepsPerEpoch = 4;
        // The trainer seeds torch before every step from (seed, step): the same batch one epoch later is step + 4.
        manual_seed(Shuffle.Derive(seed, 0));
        var first = DynamicBinarization.Draw(grey);
        manual_seed(Shuffle.Derive(seed, stepsPerEpoch));
        var second = DynamicBinarization.Draw(grey);
        Assert.True(IsBinary(first) && IsBinary(second));
        Assert.False(Same(first, second), "a new epoch draws new binary images");
        Assert.Equal(grey.mean().item<float>(), first.mean().item<float>(), 1);   // E[x] = p
        Assert.True(Same(DynamicBinarization.Draw(first), first), "binary pixels stay as they are");

        using var model = Build(new VaeOptions { Binarize = Binarization.Dynamic, LatentDim = 4, Hidden = [32] }, Images);
        using var noGrad = no_grad();
        var context = LossContext.Training(new TrainingPosition(0, 0, (int)stepsPerEpoch), 64);
        manual_seed(Shuffle.Derive(seed, 0));
        var terms = model.Loss(grey, context);
        // The same draws by hand: the binary images, then the posterior's noise; the loss scored exactly these.
        manual_seed(Shuffle.Derive(seed, 0));
        var binary = DynamicBinarization.Draw(grey);
        Assert.True(Same(binary, first));
        var posterior = model.Infer(binary);
        var z = model.Draw(posterior, randn_like(posterior.Mean));
        var expected = -model.LogLikelihood(model.DecoderOutput(z), binary).mean().item<float>();
        Assert.Equal(expected, Recon(terms), 4);
        var onGrey = -model.LogLikelihood(model.DecoderOutput(z), grey).mean().item<float>();
        Assert.NotEqual(onGrey, Recon(terms), 2);
    }

    [Fact]
    public void The_test_split_is_binarised_once_the_same_for_every_evaluation()
    {
        var test = new Dataset(GreyImages(50, seed: 8), Images, labels: Enumerable.Range(0, 50).Select(n => n % 3).ToArray());
        using var model = Build(new VaeOptions { Binarize = Binarization.Dynamic, LatentDim = 4, Hidden = [32] }, Images);
        model.eval();
        var once = model.Observed(test);
        manual_seed(99);
        _ = randn(1000);   // whatever torch's generator did in between
        var twice = model.Observed(test);
        Assert.True(IsBinary(once.Features));
        Assert.True(Same(once.Features, twice.Features), "the same binary test split every time");
        Assert.Equal(test.Labels, once.Labels);

        var options = new EvaluationOptions { IwaeSamples = 8, BatchSize = 16 };
        var first = VariationalEstimates.Evaluate(model, test, options);
        _ = randn(1000);
        var second = VariationalEstimates.Evaluate(model, test, options);
        Assert.Equal(first, second);
        Assert.Equal((int)LikelihoodQuantity.BinarizedNll, first[VariationalEstimates.Quantity.Name]);
        // The figures are of the binary split: the Bernoulli scored against grey levels is another number.
        using var plain = Build(new VaeOptions { LatentDim = 4, Hidden = [32] }, Images);
        plain.eval();
        Assert.Same(test, plain.Observed(test));
        var grey = VariationalEstimates.Evaluate(plain, test, options);
        Assert.Equal((int)LikelihoodQuantity.BernoulliOnGreyLevels, grey[VariationalEstimates.Quantity.Name]);
        Assert.NotEqual(grey[VariationalEstimates.NegativeElbo.Name], first[VariationalEstimates.NegativeElbo.Name], 1);
    }

    [Theory]
    [InlineData(Architecture.Mlp)]
    [InlineData(Architecture.Conv)]
    public void A_discretized_logistic_vae_trains_with_a_finite_falling_loss_and_decodes_into_the_unit_range(Architecture architecture)
    {
        var options = new VaeOptions { Likelihood = Likelihood.DiscretizedLogistic, Arch = architecture, LatentDim = 4 };
        using var model = Build(architecture == Architecture.Mlp ? options with { Hidden = [64] } : options with { Channels = [8, 16] }, Images);
        var data = GreyImages(128, seed: 11);
        double Loss()
        {
            using var noGrad = no_grad();
            manual_seed(0);
            return model.Loss(data, LossContext.Final()).Total.item<float>();
        }
        model.eval();
        double before = Loss();
        using var optimizer = new Adam(model.named_parameters());
        model.train();
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(1000 + step);
            optimizer.ZeroGrad();
            var loss = model.Loss(data.narrow(0, step % 4 * 32, 32), LossContext.Training(new TrainingPosition(step / 4, step, 4), 128)).Total;
            Assert.True(double.IsFinite(loss.item<float>()), $"step {step}");
            loss.backward();
            optimizer.Step(3e-3);
        }
        model.eval();
        double after = Loss();
        Assert.True(double.IsFinite(after) && after < before - 20, $"loss {before} → {after}");

        using var noGrad = no_grad();
        var decoded = model.Decode(randn(6, 4));
        Assert.Equal(new long[] { 6, 1, 8, 8 }, decoded.shape);
        Assert.True((decoded >= 0).all().item<bool>() && (decoded <= 1).all().item<bool>());
        var figures = VariationalEstimates.Evaluate(model, new Dataset(data, Images), new EvaluationOptions { IwaeSamples = 4 });
        Assert.Equal((int)LikelihoodQuantity.Discretized8BitNll, figures[VariationalEstimates.Quantity.Name]);
        Assert.Equal(figures[VariationalEstimates.NegativeElbo.Name] / (64 * Math.Log(2)), figures[VariationalEstimates.NegativeElboBitsPerDim.Name], 9);
        Assert.Equal(figures[VariationalEstimates.Iwae.Name] / (64 * Math.Log(2)), figures[VariationalEstimates.IwaeBitsPerDim.Name], 9);
        // A negative log-probability of discrete data is a code length: never negative.
        Assert.True(figures[VariationalEstimates.Iwae.Name] > 0);
    }

    [Theory]
    [InlineData(Binarization.Dynamic, Likelihood.Gaussian, "Binarize")]
    [InlineData(Binarization.Dynamic, Likelihood.DiscretizedLogistic, "Binarize")]
    [InlineData(Binarization.None, Likelihood.DiscretizedLogistic, "Likelihood")]
    public void The_options_refuse_what_has_no_meaning_in_one_line(Binarization binarize, Likelihood likelihood, string named)
    {
        var shape = likelihood == Likelihood.DiscretizedLogistic && binarize == Binarization.None ? DataShape.Table(5) : Images;
        var error = Assert.Throws<UserInputException>(() => new VaeOptions { Binarize = binarize, Likelihood = likelihood }.Validate(shape));
        Assert.Contains(named, error.Options);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("pass", error.Message);
    }
}
