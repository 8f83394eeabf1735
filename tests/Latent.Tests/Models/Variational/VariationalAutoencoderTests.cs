using Latent.Nn;
using TorchSharp;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.Variational;
using Latent.Runs;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models.Variational;

/// <summary>The VAE's objective, bounds and diagnostics, each against what the theory says.</summary>
public sealed class VariationalAutoencoderTests
{
    static readonly VaeOptions Small = new() { LatentDim = 8, Hidden = [64], Channels = [8, 16] };

    static VariationalAutoencoder Build(VaeOptions options, DataShape shape, int seed = 3)
    {
        options.Validate(shape);
        manual_seed(seed);
        return new VariationalAutoencoder(options, shape);
    }

    /// <summary>Adam on the model's own loss over a small data set, batches in order, step-seeded.</summary>
    static void Train(Autoencoder model, Tensor data, int steps, double learningRate, int stepsPerEpoch = 4, int batchSize = 64)
    {
        using var optimizer = new Adam(model.named_parameters());
        model.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(1000 + step);
            var x = data.narrow(0, step % stepsPerEpoch * batchSize % (data.shape[0] - batchSize + 1), batchSize);
            optimizer.ZeroGrad();
            model.Loss(x, LossContext.Training(new TrainingPosition(step / stepsPerEpoch, step, stepsPerEpoch), 0)).Total.backward();
            optimizer.Step(learningRate);
        }
        model.eval();
    }

    /// <summary>
    /// A linear-Gaussian world with a 2-D latent: z ~ N(0, I), x = W z + b + 0.3·noise in ℝ⁴.
    /// </summary>
    static Tensor LinearGaussianData(int count, int seed)
    {
        manual_seed(seed);
        var weights = tensor(new float[] { 1.0f, 0.5f, -0.7f, 1.2f, 0.3f, -1.1f, 0.8f, 0.4f }).reshape(4, 2);
        return randn(count, 2).matmul(weights.t()) + tensor(new float[] { 0.5f, -0.2f, 0.1f, 0.3f }) + 0.3f * randn(count, 4);
    }

    /// <summary>log p(x) = log ∫ p(x|z) N(z; 0, I) dz by a Riemann sum over a fine grid of the 2-D latent plane: exact up to the grid.</summary>
    static Tensor LogEvidenceByQuadrature(VariationalAutoencoder model, Tensor x)
    {
        const double half = 6, step = 0.04;
        int side = (int)Math.Round(2 * half / step) + 1;
        var axis = linspace(-half, half, side);
        var grid = stack([axis.repeat_interleave(side), axis.repeat(side)], 1);                     // [G, 2]
        var logPrior = -0.5 * (2 * Math.Log(2 * Math.PI) + grid.square().sum(1));                   // [G]
        var decoded = model.Decode(grid);                                                           // [G, 4] (gaussian on tables: the mean)
        var rows = new List<Tensor>();
        for (long n = 0; n < x.shape[0]; n++)
            rows.Add((model.LogLikelihood(decoded, x[n].unsqueeze(0)) + logPrior).to(ScalarType.Float64).logsumexp(0) + 2 * Math.Log(step));
        return stack(rows);
    }

    [Fact]
    public void Elbo_is_below_the_importance_weighted_bound_which_approaches_the_exact_log_likelihood()
    {
        var shape = DataShape.Table(4);
        using var model = Build(new VaeOptions
        {
            Likelihood = Likelihood.Gaussian, Variance = 0.09, LatentDim = 2, Hidden = [32], Covariance = Covariance.Full,
        }, shape);
        using var scope = NewDisposeScope();
        Train(model, LinearGaussianData(512, seed: 7), steps: 100, learningRate: 1e-2, stepsPerEpoch: 8);
        using var noGrad = no_grad();
        var x = LinearGaussianData(32, seed: 8);

        manual_seed(9);
        var posterior = model.Infer(x);
        var reconstruction = zeros(32, dtype: ScalarType.Float64);
        const int draws = 400;
        for (int i = 0; i < draws; i++)
            reconstruction += model.LogLikelihood(model.Decode(model.Draw(posterior, randn_like(posterior.Mean))), x).to(ScalarType.Float64);
        double elbo = (reconstruction / draws - model.KlPerDimension(posterior).sum(1).to(ScalarType.Float64)).mean().item<double>();
        double Iwae(int k) => VariationalEstimates.ImportanceWeightedLogLikelihood(model, x, k, rowsPerPass: 1000).mean().item<double>();
        double iwae4 = Iwae(4), iwae64 = Iwae(64), iwae4096 = Iwae(4096);
        double exact = LogEvidenceByQuadrature(model, x).mean().item<double>();

        string figures = $"ELBO {elbo:F4}, IWAE-4 {iwae4:F4}, IWAE-64 {iwae64:F4}, IWAE-4096 {iwae4096:F4}, log p(x) {exact:F4}";
        Assert.True(elbo < iwae4 && iwae4 < iwae64 && iwae64 <= iwae4096 + 1e-3, figures);
        Assert.True(iwae4096 < exact + 0.01, figures);
        Assert.True(exact - iwae4096 < 0.02, figures);
        Assert.True(exact - elbo > 0.01, $"the toy should leave a visible ELBO gap: {figures}");
    }

    [Fact]
    public void The_loss_is_recon_plus_the_warmed_up_kl_and_validation_uses_the_final_weight()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Beta = 2, KlWarmup = 2 }, data.Shape);
        using var scope = NewDisposeScope();
        var x = data.Train.Features.narrow(0, 0, 16);
        Assert.Equal(0, model.KlWeight(LossContext.Training(new TrainingPosition(0, 0, 10), 0)));
        Assert.Equal(0.5, model.KlWeight(LossContext.Training(new TrainingPosition(0, 5, 10), 0)), 12);      // ½ epoch of 2: λ/4
        Assert.Equal(1.0, model.KlWeight(LossContext.Training(new TrainingPosition(1, 10, 10), 0)), 12);     // 1 epoch of 2: λ/2
        Assert.Equal(2.0, model.KlWeight(LossContext.Training(new TrainingPosition(3, 30, 10), 0)), 12);
        Assert.Equal(2.0, model.KlWeight(LossContext.Final()), 12);

        foreach (var step in new[] { LossContext.Training(new TrainingPosition(0, 5, 10), 0), LossContext.Final() })
        {
            manual_seed(1);
            var loss = model.Loss(x, step);
            var terms = loss.Terms.ToDictionary(term => term.Term.Name, term => term.Value.item<float>());
            Assert.Equal(terms["recon"] + model.KlWeight(step) * terms["kl"], loss.Total.item<float>(), 2);
            Assert.True(terms["kl"] > 0);
        }
    }

    [Fact]
    public void Free_bits_floor_each_dimension_in_training_but_not_in_validation()
    {
        var data = TestData.Shapes();
        using var plain = Build(Small, data.Shape);
        using var floored = Build(Small with { FreeBits = 100 }, data.Shape);
        using var scope = NewDisposeScope();
        var x = data.Train.Features.narrow(0, 0, 16);
        var training = LossContext.Training(new TrainingPosition(0, 0, 4), 0);

        manual_seed(1);
        var free = plain.Loss(x, training);
        manual_seed(1);
        var withFloor = floored.Loss(x, training);
        float recon = free.Terms.Single(term => term.Term.Name == "recon").Value.item<float>();
        Assert.Equal(recon, withFloor.Terms.Single(term => term.Term.Name == "recon").Value.item<float>());
        // Every dimension's KL is far below 100 nats, so each contributes exactly the floor.
        Assert.Equal(recon + 8 * 100, withFloor.Total.item<float>(), 1);

        manual_seed(1);
        var validation = floored.Loss(x, LossContext.Final());
        manual_seed(1);
        var reference = plain.Loss(x, LossContext.Final());
        Assert.Equal(reference.Total.item<float>(), validation.Total.item<float>());
    }

    [Fact]
    public void Free_bits_below_the_floor_give_no_gradient_to_the_kl()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { FreeBits = 100 }, data.Shape);
        using var scope = NewDisposeScope();
        var x = data.Train.Features.narrow(0, 0, 16);
        manual_seed(1);
        var floored = model.Loss(x, LossContext.Training(new TrainingPosition(0, 0, 4), 0));
        floored.Total.backward();
        var withFloor = model.parameters().Select(p => p.grad!.clone()).ToArray();
        model.zero_grad();
        manual_seed(1);
        model.Loss(x, LossContext.Training(new TrainingPosition(0, 0, 4), 0)).Terms.Single(term => term.Term.Name == "recon").Value.backward();
        var reconOnly = model.parameters().Select(p => p.grad!).ToArray();
        Assert.All(withFloor.Zip(reconOnly), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 1e-5, atol: 1e-7)));
    }

    [Fact]
    public void Beta_zero_drops_the_regulariser()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Beta = 0 }, data.Shape);
        using var scope = NewDisposeScope();
        manual_seed(1);
        var loss = model.Loss(data.Train.Features.narrow(0, 0, 16), LossContext.Training(new TrainingPosition(0, 0, 4), 0));
        Assert.Equal(loss.Terms.Single(term => term.Term.Name == "recon").Value.item<float>(), loss.Total.item<float>());
    }

    [Fact]
    public void A_gaussian_likelihood_counts_its_normalising_constant()
    {
        var shape = DataShape.Table(5);
        using var model = Build(new VaeOptions { Likelihood = Likelihood.Gaussian, Variance = 0.25, LatentDim = 2, Hidden = [8] }, shape);
        using var scope = NewDisposeScope();
        var x = randn(3, 5);
        // log N(x; x, σ²) = −½ n (log σ² + log 2π) per example; one σ away in every element adds −½ n.
        var atMean = model.LogLikelihood(x, x);
        var oneSigmaAway = model.LogLikelihood(x + 0.5, x);
        double expected = -0.5 * 5 * (Math.Log(0.25) + Math.Log(2 * Math.PI));
        Assert.True(atMean.allclose(full(3, expected), rtol: 1e-6, atol: 1e-5), atMean.npstr());
        Assert.True(oneSigmaAway.allclose(full(3, expected - 2.5), rtol: 1e-6, atol: 1e-5), oneSigmaAway.npstr());
    }

    [Fact]
    public void A_learned_variance_is_a_saved_parameter_that_training_moves()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Likelihood = Likelihood.Gaussian, LearnVariance = true, Variance = 0.5 }, data.Shape);
        Assert.Contains("outputLogVariance", model.state_dict().Keys);
        float before = model.state_dict()["outputLogVariance"].item<float>();
        Assert.Equal(Math.Log(0.5), before, 5);
        Train(model, data.Train.Features, steps: 10, learningRate: 1e-2);
        Assert.True(model.state_dict()["outputLogVariance"].item<float>() < before - 0.05, "log σ² should fall towards the reconstruction error");

        using var folder = new TempDirectory();
        var path = folder.File("model.safetensors");
        SafeTensors.Save(path, ModuleWeights.Of(model));
        using var other = Build(Small with { Likelihood = Likelihood.Gaussian, LearnVariance = true, Variance = 0.5 }, data.Shape, seed: 4);
        var (tensors, _) = SafeTensors.Load(path);
        ModuleWeights.Load(other, tensors, path);
        Assert.True(other.state_dict()["outputLogVariance"].SameAs(model.state_dict()["outputLogVariance"]));
    }

    [Fact]
    public void The_full_covariance_posterior_draws_with_its_cholesky_factor_and_its_kl_splits_exactly()
    {
        var data = TestData.Shapes();
        using var model = Build(Small with { Covariance = Covariance.Full, LatentDim = 3 }, data.Shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var posterior = model.Infer(data.Train.Features.narrow(0, 0, 4));
        var cholesky = posterior.Cholesky!;
        Assert.Equal(new long[] { 4, 3, 3 }, cholesky.shape);
        Assert.True(cholesky.triu(1).eq(0).all().item<bool>());
        Assert.True(cholesky.diagonal(0, -2, -1).gt(0).all().item<bool>());
        Assert.True(cholesky[.., 1, 0].ne(0).any().item<bool>(), "the strictly lower entries come from the encoder");

        var covariance = cholesky.matmul(cholesky.transpose(1, 2)).to(ScalarType.Float64);
        var general = GaussianKl.General(posterior.Mean.to(ScalarType.Float64), covariance, zeros(4, 3, dtype: ScalarType.Float64),
                                         eye(3, dtype: ScalarType.Float64).expand(4, -1, -1));
        Assert.True(model.KlPerDimension(posterior).sum(1).to(ScalarType.Float64).allclose(general, rtol: 1e-4, atol: 1e-4));

        // z = μ + Lε: the empirical covariance of many draws for one example is L·Lᵀ.
        var one = new GaussianPosterior(posterior.Mean[..1], posterior.LogVariance[..1], cholesky[..1]);
        manual_seed(2);
        var draws = model.Draw(one, randn(100_000, 1, 3)).squeeze(1).to(ScalarType.Float64);  // [S, 3]
        var centred = draws - draws.mean([0]);
        var empirical = centred.t().matmul(centred) / draws.shape[0];
        Assert.True(empirical.allclose(covariance[0], rtol: 0.05, atol: 0.02 * covariance[0].abs().max().item<double>()), $"{empirical.npstr()} vs {covariance[0].npstr()}");
    }

    [Fact]
    public void The_collapse_warning_names_only_cures_that_apply_to_the_objective()
    {
        var shape = DataShape.Table(6);
        using var plain = Build(Small, shape);
        Assert.Equal(["--kl-warmup 10", "--free-bits 0.25", "a --beta below 1", "a --latent-dim below 8"], ((IVariational)plain).CollapseCures);
        using var tc = Build(Small with { Regulariser = Regulariser.TotalCorrelation }, shape);
        Assert.Equal(["a --dimension-kl-weight below 1", "a --latent-dim below 8"], ((IVariational)tc).CollapseCures);
        using var capacity = Build(Small with { Regulariser = Regulariser.Capacity, CapacityMax = 25 }, shape);
        Assert.Equal(["a --capacity-max above 25", "a --latent-dim below 8"], ((IVariational)capacity).CollapseCures);
        using var vamp = Build(Small with { Prior = Prior.Vamp, PseudoInputs = 10 }, shape);
        Assert.DoesNotContain("--free-bits 0.25", ((IVariational)vamp).CollapseCures);   // free bits need the factorised prior
        var measured = new VariationalMeasurements([0.5, 0.0], [2.0, 0.0], Reconstruction: 1);
        Assert.EndsWith("to cure it pass a --dimension-kl-weight below 1 or a --latent-dim below 8",
            VariationalEstimates.CollapseWarning(measured, ((IVariational)tc).CollapseCures));
    }

    [Fact]
    public void A_heavily_weighted_kl_collapses_the_posterior_the_diagnosis_warns_and_free_bits_bring_the_code_back()
    {
        var data = TestData.Shapes();
        using var collapsed = Build(Small with { Beta = 1000 }, data.Shape);
        Train(collapsed, data.Train.Features, steps: 60, learningRate: 2e-3);
        var diagnostics = new Evaluator.EpochDiagnostics(collapsed);
        var diagnosis = diagnostics.Diagnose(data.Validation);
        Assert.Equal(8, diagnosis.Figures["collapsed_units"]);
        Assert.Equal(0, diagnosis.Figures["active_units"]);
        Assert.All(Enumerable.Range(0, 8), j => Assert.True(diagnosis.Figures[$"kl_dim_{j}"] < 0.01));
        var warning = Assert.Single(diagnosis.Warnings);
        Assert.Contains("posterior collapse: the posterior means of all 8 latent dimensions", warning);
        Assert.Contains("--free-bits", warning);
        Assert.Empty(diagnostics.Diagnose(data.Validation).Warnings);   // said once, until the count changes

        using var cured = Build(Small with { Beta = 1000, FreeBits = 0.5 }, data.Shape);
        Train(cured, data.Train.Features, steps: 60, learningRate: 2e-3);
        var after = new Evaluator.EpochDiagnostics(cured).Diagnose(data.Validation);
        // Below the floor the KL has no gradient, so the decoder's pull puts information back into the code.
        Assert.InRange(after.Figures["active_units"], 3, 8);
        Assert.Equal(8, after.Figures["active_units"] + after.Figures["collapsed_units"]);   // each unit is one or the other
        double klBefore = Enumerable.Range(0, 8).Sum(j => diagnosis.Figures[$"kl_dim_{j}"]);
        double klAfter = Enumerable.Range(0, 8).Sum(j => after.Figures[$"kl_dim_{j}"]);
        Assert.True(klAfter > 0.5 && klAfter > 100 * klBefore, $"KL {klBefore} without free bits, {klAfter} with");
    }

    [Fact]
    public void Evaluation_reports_the_bounds_in_nats_and_the_kl_of_every_dimension()
    {
        var data = TestData.Shapes();
        using var model = Build(Small, data.Shape);
        Train(model, data.Train.Features, steps: 40, learningRate: 2e-3);
        var figures = Evaluator.Evaluate(model, data.Test, new EvaluationOptions { IwaeSamples = 16, BatchSize = 20 });
        Assert.Equal(16, figures["iwae_samples"]);
        Assert.Equal(figures["test_recon_nats"] + figures["test_kl_nats"], figures["test_neg_elbo_nats"], 6);
        Assert.Equal(figures["test_kl_nats"], Enumerable.Range(0, 8).Sum(j => figures[$"kl_dim_{j}"]), 6);
        Assert.True(figures["iwae_nll_nats"] < figures["test_neg_elbo_nats"], $"IWAE {figures["iwae_nll_nats"]} vs −ELBO {figures["test_neg_elbo_nats"]}");
        Assert.InRange(figures["active_units"], 0, 8);
        // Seeded: evaluating twice gives the same figures.
        Assert.Equal(figures, Evaluator.Evaluate(model, data.Test, new EvaluationOptions { IwaeSamples = 16, BatchSize = 20 }));
    }

    [Fact]
    public void Samples_decode_draws_from_the_prior_into_pixels()
    {
        var data = TestData.Shapes();
        using var model = Build(Small, data.Shape);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(1);
        var samples = model.Sample(5);
        Assert.Equal(new long[] { 5, 1, 32, 32 }, samples.shape);
        Assert.True(samples.ge(0).all().item<bool>() && samples.le(1).all().item<bool>());
        manual_seed(1);
        Assert.True(model.Sample(5).SameAs(samples));
    }

    [Theory]
    [InlineData("Beta -1 must be zero or positive", -1.0, 0.0, false)]
    [InlineData("FreeBits -0.5 must be zero", 1.0, -0.5, false)]
    [InlineData("LearnVariance applies to the gaussian likelihood only", 1.0, 0.0, true)]
    public void Nonsense_options_are_user_errors(string expected, double beta, double freeBits, bool learnVariance)
    {
        var error = Assert.Throws<UserInputException>(() =>
            (Small with { Beta = beta, FreeBits = freeBits, LearnVariance = learnVariance }).Validate(TestData.Shapes().Shape));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_explicit_bernoulli_likelihood_on_tables_names_the_fix()
    {
        var error = Assert.Throws<UserInputException>(() => (Small with { Likelihood = Likelihood.Bernoulli }).Validate(DataShape.Table(3)));
        Assert.Contains("pass Likelihood gaussian", error.Message);
    }
}
