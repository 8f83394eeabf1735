using Latent.Data;
using Latent.Export;
using Latent.Families;
using Latent.Models;
using Latent.Models.Variational;
using Latent.Tests.Evaluation.Disentanglement;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models.Variational;

/// <summary>
/// The VAE's variants (capacity annealing, β-TCVAE, VampPrior, IWAE objective), each against a direct
/// computation of what its paper defines, and the options that switch them on.
/// </summary>
public sealed class VaeVariantsTests
{
    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    static VariationalAutoencoder Build(VaeOptions options, DataShape shape, int seed = 3)
    {
        ModelCatalog.Find("vae").Validate(options, shape);
        manual_seed(seed);
        return new VariationalAutoencoder(options, shape);
    }

    static double LogNormal(double z, double mean, double logVariance) =>
        -0.5 * (LogTwoPi + logVariance + (z - mean) * (z - mean) / Math.Exp(logVariance));

    static double LogSumExp(IEnumerable<double> values)
    {
        var list = values.ToList();
        double max = list.Max();
        return max + Math.Log(list.Sum(value => Math.Exp(value - max)));
    }

    static double[,] Matrix(Tensor t)
    {
        var values = t.to(ScalarType.Float64).data<double>().ToArray();
        int rows = (int)t.shape[0], columns = (int)t.shape[1];
        var matrix = new double[rows, columns];
        for (int i = 0; i < rows; i++) for (int j = 0; j < columns; j++) matrix[i, j] = values[i * columns + j];
        return matrix;
    }

    /// <summary>z ~ N(0, I), x = W z + b + 0.3·noise in ℝ⁴ (a 2-D linear-Gaussian world).</summary>
    static Tensor LinearGaussianData(int count, int seed)
    {
        manual_seed(seed);
        var weights = tensor(new float[] { 1.0f, 0.5f, -0.7f, 1.2f, 0.3f, -1.1f, 0.8f, 0.4f }).reshape(4, 2);
        return randn(count, 2).matmul(weights.t()) + tensor(new float[] { 0.5f, -0.2f, 0.1f, 0.3f }) + 0.3f * randn(count, 4);
    }

    static void Train(Autoencoder model, Tensor data, int steps, double learningRate, int batchSize = 64, int stepsPerEpoch = 8)
    {
        using var optimizer = new Adam(model.named_parameters());
        model.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(1000 + step);
            var x = data.narrow(0, step % stepsPerEpoch * batchSize % (data.shape[0] - batchSize + 1), batchSize);
            optimizer.ZeroGrad();
            model.Loss(x, LossContext.Training(new TrainingPosition(step / stepsPerEpoch, step, stepsPerEpoch), data.shape[0])).Total.backward();
            optimizer.Step(learningRate);
        }
        model.eval();
    }

    // ---- β-TCVAE -------------------------------------------------------------------------------------------

    [Fact]
    public void The_total_correlation_split_matches_a_brute_force_float64_computation_and_sums_to_the_one_draw_kl()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        const int batch = 6, dimension = 3;
        var posterior = new GaussianPosterior(randn(batch, dimension), 0.5f * randn(batch, dimension) - 1, null);
        var z = posterior.Mean + (0.5 * posterior.LogVariance).exp() * randn(batch, dimension);
        var split = TotalCorrelation.Estimate(posterior, z);

        var (mean, logVariance, draws) = (Matrix(posterior.Mean), Matrix(posterior.LogVariance), Matrix(z));
        double logNormaliser = Math.Log(batch);
        double mi = 0, tc = 0, dimensionKl = 0, kl = 0;
        for (int i = 0; i < batch; i++)
        {
            double logPosterior = 0, logPrior = 0, logMarginals = 0;
            for (int d = 0; d < dimension; d++)
            {
                logPosterior += LogNormal(draws[i, d], mean[i, d], logVariance[i, d]);
                logPrior += LogNormal(draws[i, d], 0, 0);
                logMarginals += LogSumExp(Enumerable.Range(0, batch).Select(m => LogNormal(draws[i, d], mean[m, d], logVariance[m, d]))) - logNormaliser;
            }
            double logAggregate = LogSumExp(Enumerable.Range(0, batch).Select(m =>
                Enumerable.Range(0, dimension).Sum(d => LogNormal(draws[i, d], mean[m, d], logVariance[m, d])))) - logNormaliser;
            mi += (logPosterior - logAggregate) / batch;
            tc += (logAggregate - logMarginals) / batch;
            dimensionKl += (logMarginals - logPrior) / batch;
            kl += (logPosterior - logPrior) / batch;
        }
        Assert.Equal(mi, split.MutualInformation.item<float>(), 3);
        Assert.Equal(tc, split.TotalCorrelation.item<float>(), 3);
        Assert.Equal(dimensionKl, split.DimensionWiseKl.item<float>(), 3);
        Assert.Equal(kl, (split.MutualInformation + split.TotalCorrelation + split.DimensionWiseKl).item<float>(), 3);
    }

    [Fact]
    public void The_total_correlation_is_near_zero_for_independent_codes_and_large_for_dependent_ones()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        const int batch = 1000;
        var logVariance = full(batch, 2, -2f);                                                   // σ ≈ 0.37: q(z) is the means' distribution, smoothed
        var independent = randn(batch, 2);
        var first = randn(batch, 1);
        var dependent = cat([first, first + 0.05f * randn(batch, 1)], 1);                        // z₂ ≈ z₁
        double Tc(Tensor means)
        {
            var posterior = new GaussianPosterior(means, logVariance, null);
            var z = means + (0.5 * logVariance).exp() * randn_like(means);
            return TotalCorrelation.Estimate(posterior, z).TotalCorrelation.item<float>();
        }
        double independentTc = Tc(independent), dependentTc = Tc(dependent);
        // The aggregate posterior's TC is I(z₁; z₂): 0 for independent means; for the dependent ones a Gaussian pair
        // with correlation ρ = 1/(1 + e⁻²) ≈ 0.88, so −½ log(1 − ρ²) ≈ 0.75 nats.
        Assert.True(Math.Abs(independentTc) < 0.15, $"total correlation of independent codes {independentTc:F3} nats");
        Assert.True(dependentTc > 0.5 && dependentTc < 1.0, $"total correlation of dependent codes {dependentTc:F3} nats");
    }

    [Fact]
    public void The_tcvae_loss_weights_its_three_terms_and_logs_them()
    {
        var shape = DataShape.Table(4);
        var options = new VaeOptions { Likelihood = Likelihood.Gaussian, LatentDim = 3, Hidden = [16], Regulariser = Regulariser.TotalCorrelation, MiWeight = 2, TcWeight = 5, DimensionKlWeight = 0.5 };
        using var model = Build(options, shape);
        using var scope = NewDisposeScope();
        var x = LinearGaussianData(64, seed: 4);
        manual_seed(5);
        var loss = model.Loss(x, LossContext.Final(640));
        double Term(MetricKey key) => loss.Terms.Single(term => term.Term == key).Value.item<float>();
        double expected = Term(LossTerms.Reconstruction) + 2 * Term(VariationalAutoencoder.MutualInformationTerm)
                          + 5 * Term(VariationalAutoencoder.TotalCorrelationTerm) + 0.5 * Term(VariationalAutoencoder.DimensionWiseKlTerm);
        Assert.Equal(expected, loss.Total.item<float>(), 2);
    }

    [SkippableFact]
    public void The_split_and_the_vamp_density_agree_with_a_pytorch_reference_up_to_the_paper_s_log_n_offsets()
    {
        Skip.IfNot(DisentanglementReferenceTests.Run(["-c", "import torch"]).ExitCode == 0, "Debian's python3-torch is not installed (apt-get install python3-torch)");
        var shape = DataShape.Table(4);
        using var model = Build(Vamp with { LatentDim = 4 }, shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var posterior = model.Infer(LinearGaussianData(32, seed: 15));
        manual_seed(16);
        var z = model.Draw(posterior, randn_like(posterior.Mean));
        var components = model.Infer(model.PseudoInputs()!);
        const long datasetSize = 5000;
        static double[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].to(ScalarType.Float64).data<double>().ToArray()).ToArray();
        using var folder = new TempDirectory();
        System.IO.File.WriteAllText(folder.File("input.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mean"] = Rows(posterior.Mean), ["log_variance"] = Rows(posterior.LogVariance), ["z"] = Rows(z), ["dataset_size"] = datasetSize,
            ["component_mean"] = Rows(components.Mean), ["component_log_variance"] = Rows(components.LogVariance),
        }));
        var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../python/vae_variants_reference.py"));
        var (code, text) = DisentanglementReferenceTests.Run([script, folder.File("input.json")]);
        Assert.True(code == 0, text);
        var reference = System.Text.Json.JsonDocument.Parse(text).RootElement;

        var split = TotalCorrelation.Estimate(posterior, z);
        double logN = Math.Log(datasetSize);
        Assert.Equal(reference.GetProperty("chen_mi").GetDouble() - logN, split.MutualInformation.item<float>(), 3);
        Assert.Equal(reference.GetProperty("chen_tc").GetDouble() - 3 * logN, split.TotalCorrelation.item<float>(), 3);
        Assert.Equal(reference.GetProperty("chen_dim_kl").GetDouble() + 4 * logN, split.DimensionWiseKl.item<float>(), 3);
        var vamp = reference.GetProperty("vamp_log_prior").EnumerateArray().Select(value => value.GetDouble()).ToArray();
        var ours = model.LogPrior(z).to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < vamp.Length; i++) Assert.Equal(vamp[i], ours[i], 3);
    }

    // ---- capacity annealing --------------------------------------------------------------------------------

    [Fact]
    public void The_capacity_rises_linearly_to_its_maximum_and_validation_uses_the_maximum()
    {
        var options = new VaeOptions { Regulariser = Regulariser.Capacity, CapacityMax = 20, CapacityEpochs = 4 };
        Assert.Equal(0, CapacityAnnealing.Target(options, LossContext.Training(new TrainingPosition(0, 0, 10), 100)), 9);
        Assert.Equal(5, CapacityAnnealing.Target(options, LossContext.Training(new TrainingPosition(1, 10, 10), 100)), 9);
        Assert.Equal(12.5, CapacityAnnealing.Target(options, LossContext.Training(new TrainingPosition(2, 25, 10), 100)), 9);
        Assert.Equal(20, CapacityAnnealing.Target(options, LossContext.Training(new TrainingPosition(9, 95, 10), 100)), 9);
        Assert.Equal(20, CapacityAnnealing.Target(options, LossContext.Final()), 9);
    }

    [Fact]
    public void Training_with_a_capacity_holds_the_kl_at_the_capacity()
    {
        var shape = DataShape.Table(4);
        var data = LinearGaussianData(512, seed: 7);
        double FinalKl(VaeOptions options)
        {
            using var model = Build(options, shape);
            using var scope = NewDisposeScope();
            Train(model, data, steps: 300, learningRate: 5e-3);
            using var noGrad = no_grad();
            manual_seed(6);
            var loss = model.Loss(LinearGaussianData(256, seed: 8), LossContext.Final(512));
            var kl = loss.Terms.Single(term => term.Term == VariationalAutoencoder.KlTerm).Value.item<float>();
            if (options.Regulariser == Regulariser.Capacity)
            {
                double recon = loss.Terms.Single(term => term.Term == LossTerms.Reconstruction).Value.item<float>();
                Assert.Equal(recon + options.CapacityWeight * Math.Abs(kl - options.CapacityMax), loss.Total.item<float>(), 1);
            }
            return kl;
        }
        var baseOptions = new VaeOptions { Likelihood = Likelihood.Gaussian, Variance = 0.09, LatentDim = 4, Hidden = [32] };
        double plain = FinalKl(baseOptions);
        double low = FinalKl(baseOptions with { Regulariser = Regulariser.Capacity, CapacityMax = 1, CapacityEpochs = 10, CapacityWeight = 100 });
        // The ELBO encodes the two latent factors with several nats; the capacity holds the KL near 1 nat.
        Assert.True(plain > 2.5, $"plain VAE KL {plain:F2}");
        Assert.InRange(low, 0.7, 1.3);
    }

    // ---- VampPrior -----------------------------------------------------------------------------------------

    static VaeOptions Vamp => new() { Likelihood = Likelihood.Gaussian, LatentDim = 3, Hidden = [16], Prior = Prior.Vamp, PseudoInputs = 7 };

    [Fact]
    public void The_vamp_prior_density_is_the_mixture_of_the_pseudo_input_posteriors()
    {
        var shape = DataShape.Table(4);
        using var model = Build(Vamp, shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var components = model.Infer(model.PseudoInputs()!);
        manual_seed(13);
        var z = 1.5f * randn(5, 3);
        var logPrior = model.LogPrior(z).to(ScalarType.Float64).data<double>().ToArray();
        var (mean, logVariance, points) = (Matrix(components.Mean), Matrix(components.LogVariance), Matrix(z));
        for (int i = 0; i < 5; i++)
        {
            double direct = Math.Log(Enumerable.Range(0, 7).Sum(k =>
                Math.Exp(Enumerable.Range(0, 3).Sum(d => LogNormal(points[i, d], mean[k, d], logVariance[k, d])))) / 7);
            Assert.Equal(direct, logPrior[i], 4);
        }
        // The chain rule's terms sum to the density, and the leading sample axes of IWAE broadcast.
        var vamp = model.children().OfType<VampPrior>().Single();
        var perDimension = vamp.LogDensityPerDimension(components, z).sum(1).to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(logPrior[i], perDimension[i], 4);
        Assert.Equal(new long[] { 2, 5 }, model.LogPrior(stack([z, z])).shape);
    }

    [Fact]
    public void The_vamp_kl_per_dimension_is_log_q_minus_log_p_at_the_draw()
    {
        var shape = DataShape.Table(4);
        using var model = Build(Vamp, shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var posterior = model.Infer(LinearGaussianData(8, seed: 2));
        manual_seed(21);
        var kl = model.KlPerDimension(posterior).sum(1);
        manual_seed(21);
        var noise = randn_like(posterior.Mean);
        var expected = model.LogPosterior(posterior, noise) - model.LogPrior(model.Draw(posterior, noise));
        Assert.True(kl.allclose(expected, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Vamp_prior_samples_have_the_mixture_s_mean_and_second_moment()
    {
        var shape = DataShape.Table(4);
        using var model = Build(Vamp, shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var components = model.Infer(model.PseudoInputs()!);
        manual_seed(14);
        var z = model.SamplePrior(40000);
        var expectedMean = components.Mean.mean([0]);
        var expectedSecond = (components.LogVariance.exp() + components.Mean.square()).mean([0]);
        Assert.True(z.mean([0]).allclose(expectedMean, atol: 0.03), $"{string.Join(", ", z.mean([0]).data<float>().ToArray())} against {string.Join(", ", expectedMean.data<float>().ToArray())}");
        Assert.True(z.square().mean([0]).allclose(expectedSecond, rtol: 0.05, atol: 0.03));
        Assert.Equal(new long[] { 6, 4 }, model.Sample(6).shape);
    }

    [Fact]
    public void The_pseudo_inputs_are_saved_weights_that_training_moves()
    {
        var shape = DataShape.Table(4);
        using var model = Build(Vamp, shape);
        using var scope = NewDisposeScope();
        var before = model.PseudoInputs()!.detach().clone();
        Assert.Contains("vamp_prior.pseudo_inputs", model.state_dict().Keys);
        Train(model, LinearGaussianData(256, seed: 7), steps: 20, learningRate: 1e-2);
        Assert.False(model.PseudoInputs()!.allclose(before));
    }

    [Fact]
    public void Onnx_export_refuses_a_vamp_prior_in_one_line()
    {
        using var model = Build(Vamp, DataShape.Table(4));
        model.eval();
        var error = Assert.Throws<UserInputException>(() => OnnxExport.Graphs(model));
        Assert.Contains("Prior vamp", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    // ---- IWAE ----------------------------------------------------------------------------------------------

    [Fact]
    public void The_importance_weighted_bound_rises_with_the_samples_and_the_iwae_loss_is_below_the_elbo_loss()
    {
        var shape = DataShape.Table(4);
        var options = new VaeOptions { Likelihood = Likelihood.Gaussian, Variance = 0.09, LatentDim = 2, Hidden = [32] };
        using var model = Build(options, shape);
        using var scope = NewDisposeScope();
        Train(model, LinearGaussianData(512, seed: 7), steps: 100, learningRate: 1e-2);
        using var noGrad = no_grad();
        var x = LinearGaussianData(64, seed: 8);
        var posterior = model.Infer(x);
        double Bound(int samples)
        {
            manual_seed(30);
            double sum = 0;
            for (int repeat = 0; repeat < 20; repeat++) sum += ImportanceWeightedBound.Estimate(model, x, posterior, samples).LogBound.mean().item<float>();
            return sum / 20;
        }
        double one = Bound(1), five = Bound(5), fifty = Bound(50);
        Assert.True(one < five && five < fifty, $"L_1 {one:F3}, L_5 {five:F3}, L_50 {fifty:F3}");

        // The same weights trained with --train-samples 5: the minimised total is −L_5, below the ELBO's −L_1.
        using var iwae = Build(options with { TrainSamples = 5 }, shape);
        iwae.load_state_dict(model.state_dict());
        double elboLoss = 0, iwaeLoss = 0;
        for (int repeat = 0; repeat < 20; repeat++)
        {
            manual_seed(40 + repeat);
            elboLoss += model.Loss(x, LossContext.Final(512)).Total.item<float>() / 20;
            var loss = iwae.Loss(x, LossContext.Final(512));
            iwaeLoss += loss.Total.item<float>() / 20;
            Assert.Equal(loss.Total.item<float>(), loss.Terms.Single(term => term.Term == VariationalAutoencoder.ImportanceWeightedTerm).Value.item<float>());
        }
        Assert.True(iwaeLoss < elboLoss - 0.01, $"IWAE loss {iwaeLoss:F3} against ELBO loss {elboLoss:F3}");
        Assert.Equal(-five, iwaeLoss, 0);
    }

    // ---- options -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("beta", "Beta")]
    [InlineData("capacity-with-tc", "CapacityMax")]
    [InlineData("pseudo-inputs-without-vamp", "PseudoInputs")]
    [InlineData("iwae-with-capacity", "TrainSamples")]
    [InlineData("negative-tc", "TcWeight")]
    [InlineData("tc-with-vamp", "Prior standard")]
    [InlineData("vamp-full", "Covariance diagonal")]
    public void Options_that_do_not_fit_the_variant_are_refused_in_one_line(string what, string named)
    {
        var tc = new VaeOptions { Regulariser = Regulariser.TotalCorrelation };
        var options = what switch
        {
            "beta" => tc with { Beta = 4 },
            "capacity-with-tc" => tc with { CapacityMax = 10 },
            "pseudo-inputs-without-vamp" => new VaeOptions { PseudoInputs = 10 },
            "iwae-with-capacity" => new VaeOptions { Regulariser = Regulariser.Capacity, TrainSamples = 5 },
            "negative-tc" => tc with { TcWeight = -1 },
            "tc-with-vamp" => tc with { Prior = Prior.Vamp },
            _ => new VaeOptions { Prior = Prior.Vamp, Covariance = Covariance.Full },
        };
        var error = Assert.Throws<UserInputException>(() => ModelCatalog.Find("vae").Validate(options, DataShape.Image(1, 28, 28)));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void A_vamp_prior_with_more_pseudo_inputs_than_training_examples_is_refused()
    {
        var error = Assert.Throws<UserInputException>(() => new VaeOptions { Prior = Prior.Vamp, PseudoInputs = 500 }.ValidateTrainingSet(200));
        Assert.Contains("PseudoInputs 500", error.Message);
        new VaeOptions { Prior = Prior.Vamp, PseudoInputs = 200 }.ValidateTrainingSet(200);
        new VaeOptions { PseudoInputs = 500 }.ValidateTrainingSet(10);
    }
}
