using Latent.Nn;
using Latent.Data;
using Latent.Families;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Models.VectorQuantized;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

/// <summary>
/// Issue 16: the plain AE, the VAE and the VQ-VAE standardise table columns with the training split's
/// statistics, kept among the weights, and the VAE's likelihood follows the data.
/// </summary>
public sealed class TableStandardizationTests
{
    const int Features = 6;

    /// <summary>
    /// Rows [N, 6] on a 2-D manifold (each column a smooth function of two factors) whose first column
    /// is on a scale 1000 times the others, plus an offset of 500, like wine's proline beside its ratios.
    /// </summary>
    static Dataset ScaledTable(int count, int seed)
    {
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var factors = rand(new long[] { count, 2 }, generator: generator) * 2 - 1;               // [N, 2]
        var (u, v) = (factors[.., 0], factors[.., 1]);
        var columns = stack([u + v, u * v, (2 * u).sin(), v.square() - u, (u - v).cos(), u - 0.5 * v.square()], 1); // [N, 6]
        var scale = tensor(new float[] { 1000, 1, 1, 1, 1, 1 });
        var offset = tensor(new float[] { 500, 0, 0, 0, 0, 0 });
        return new Dataset((columns * scale + offset).contiguous(), DataShape.Table(Features));
    }

    static DataSplits Splits() => new(ScaledTable(512, 1), ScaledTable(64, 2), ScaledTable(256, 3));

    static Autoencoder Train(ModelOptions options, DataSplits data, int epochs = 30)
    {
        options.Validate(data.Shape);
        manual_seed(5);
        var model = ModelCatalog.Of(options).Create(options, data.Shape);
        using var store = new InMemoryTrainingStore();
        new Trainer(new TrainingOptions { Epochs = epochs, BatchSize = 32, Lr = 3e-3, Seed = 5 }, SilentObserver.Instance)
            .Fit(model, data, store, resume: false);
        store.RestoreSelected(model);
        model.eval();
        return model;
    }

    /// <summary>Test MSE per column divided by the column's variance, averaged: the error in units of each column's spread.</summary>
    static double StandardisedError(Autoencoder model, Dataset test)
    {
        using var noGrad = no_grad();
        var x = test.Features;
        var squared = (model.Reconstruct(x) - x).square().mean([0]);                        // [F]
        return (squared / x.var(0, unbiased: false)).mean().item<float>();
    }

    [Fact]
    public void A_plain_autoencoder_on_a_table_keeps_the_narrow_columns_that_raw_units_drown()
    {
        var data = Splits();
        var options = new PlainOptions { LatentDim = 2, Hidden = [32] };
        using var standardised = Train(options, data);
        using var raw = Train(options with { Standardize = Standardization.No }, data);
        double withStatistics = StandardisedError(standardised, data.Test), without = StandardisedError(raw, data.Test);
        // Raw units: the network spends itself on the wide column and leaves the others near their variance.
        Assert.True(withStatistics < 0.5 * without, $"standardised {withStatistics:G4} against raw {without:G4}");
    }

    [Fact]
    public void On_a_table_the_standardised_autoencoder_beats_pca_of_the_same_size_in_units_of_each_columns_spread()
    {
        var data = Splits();
        using var autoencoder = Train(new PlainOptions { LatentDim = 2, Hidden = [32] }, data);
        var pcaOptions = ModelCatalog.Find("pca").DefaultOptions() with { LatentDim = 2 };
        using var pca = ModelCatalog.Of(pcaOptions).Create(pcaOptions, data.Shape);
        ((IClosedForm)pca).Fit(data.Train);
        pca.eval();
        // Loaded lazily, as a run's training split is: it must outlive the evaluation that first asks for it.
        var options = new Latent.Evaluation.EvaluationOptions { TrainingSplit = new Lazy<Dataset>(() => new Dataset(data.Train.Features * 1, data.Shape)) };
        double Figure(Autoencoder model) => Latent.Evaluation.Evaluator.Evaluate(model, data.Test, options)[Latent.Evaluation.TableError.TestMseStandardized.Name];
        double ae = Figure(autoencoder), principal = Figure(pca);
        Assert.False(options.TrainingSplit.Value.Features.IsInvalid);
        Assert.InRange(ae, 0, 1);
        // PCA in raw units spends a component on the wide column; the autoencoder's two codes serve all six.
        Assert.True(ae < principal, $"ae {ae:G4} against pca {principal:G4}");
        Assert.Equal(StandardisedError(autoencoder, data.Test), ae, 2);
    }

    [Theory]
    [InlineData("ae")]
    [InlineData("vae")]
    [InlineData("vqvae")]
    public void The_column_statistics_are_the_training_splits_and_are_saved_with_the_weights(string family)
    {
        var data = Splits();
        var options = ModelCatalog.Find(family).DefaultOptions() with { LatentDim = 2, Hidden = [16] };
        if (options is VqOptions vq) options = vq with { CodebookSize = 16, Slots = 2, PriorEpochs = 0 };
        using var model = Train(options, data, epochs: 1);
        var state = model.state_dict();
        var expectedMean = data.Train.Features.to(ScalarType.Float64).mean([0]);
        var expectedScale = data.Train.Features.to(ScalarType.Float64).var(0, unbiased: false).sqrt();
        Assert.True(state["standardizer.mean"].to(ScalarType.Float64).allclose(expectedMean, rtol: 1e-5), "mean");
        Assert.True(state["standardizer.scale"].to(ScalarType.Float64).allclose(expectedScale, rtol: 1e-5), "scale");

        using var directory = new TempDirectory();
        var path = directory.File("model.safetensors");
        Latent.Nn.SafeTensors.Save(path, Latent.Nn.ModuleWeights.Of(model));
        manual_seed(99);
        using var loaded = ModelCatalog.Find(family).Create(options, data.Shape);
        Assert.False(loaded.state_dict()["standardizer.mean"].allclose(state["standardizer.mean"]));
        var (tensors, _) = Latent.Nn.SafeTensors.Load(path);
        Latent.Nn.ModuleWeights.Load(loaded, tensors, path);
        loaded.eval();
        using var noGrad = no_grad();
        var x = data.Test.Features.narrow(0, 0, 8);
        Assert.True(loaded.Reconstruct(x).SameAs(model.Reconstruct(x)));
    }

    [Fact]
    public void With_standardize_no_a_model_has_no_statistics_and_decodes_raw_network_outputs()
    {
        var data = Splits();
        var options = new PlainOptions { LatentDim = 2, Hidden = [16], Standardize = Standardization.No };
        using var model = ModelCatalog.Of(options).Create(options, data.Shape);
        Assert.DoesNotContain(model.state_dict().Keys, key => key.StartsWith("standardizer.", StringComparison.Ordinal));
    }

    [Fact]
    public void Standardize_is_an_option_of_the_ae_vae_and_vqvae_and_refused_elsewhere()
    {
        foreach (var family in new[] { "ae", "vae", "vqvae" })
            Assert.True(ModelCatalog.Find(family).DefaultOptions().Uses(nameof(ModelOptions.Standardize)), family);
        foreach (var family in new[] { "linear", "pca", "mae", "dae" })
            Assert.False(ModelCatalog.Find(family).DefaultOptions().Uses(nameof(ModelOptions.Standardize)), family);
    }

    [Fact]
    public void The_vae_likelihood_defaults_to_bernoulli_for_images_and_gaussian_for_tables()
    {
        var options = new VaeOptions();
        Assert.Equal(Likelihood.Bernoulli, options.LikelihoodFor(DataShape.Image(1, 28, 28)));
        Assert.Equal(Likelihood.Gaussian, options.LikelihoodFor(DataShape.Table(13)));
        options.Validate(DataShape.Table(13)); // used to stop with "--likelihood bernoulli needs data in [0, 1]"
        var bernoulli = options with { Likelihood = Likelihood.Bernoulli };
        Assert.Throws<UserInputException>(() => bernoulli.Validate(DataShape.Table(13)));
        Assert.Equal(Likelihood.Gaussian, (options with { Likelihood = Likelihood.Gaussian }).LikelihoodFor(DataShape.Image(1, 28, 28)));
    }

    [Fact]
    public void The_vae_log_likelihood_of_a_table_is_a_density_in_the_datas_own_units()
    {
        // The same rows in metres and in millimetres: once standardised the networks see identical inputs, so the
        // densities differ exactly by the Jacobian, log p_mm(1000·x) = log p_m(x) − F·log 1000.
        var metres = Splits();
        var millimetres = new DataSplits(Times(metres.Train, 1000), Times(metres.Validation, 1000), Times(metres.Test, 1000));
        var options = new VaeOptions { LatentDim = 2, Hidden = [16] };
        using var inMetres = (VariationalAutoencoder)Train(options, metres, epochs: 1);
        using var inMillimetres = (VariationalAutoencoder)Train(options, millimetres, epochs: 1);
        using var noGrad = no_grad();
        var x = metres.Test.Features.narrow(0, 0, 16);
        var z = inMetres.Infer(x).Mean;
        var logMetres = inMetres.LogLikelihood(inMetres.DecoderOutput(z), x).to(ScalarType.Float64);
        var logMillimetres = inMillimetres.LogLikelihood(inMillimetres.DecoderOutput(z), x * 1000).to(ScalarType.Float64);
        var difference = (logMetres - logMillimetres - Features * Math.Log(1000)).abs().max().item<double>();
        Assert.True(difference < 1e-2 * logMetres.abs().max().item<double>() + 1e-3, $"off by {difference:G4} nats");
        Assert.True(logMetres.isfinite().all().item<bool>());

        static Dataset Times(Dataset split, float factor) => new(split.Features * factor, split.Shape);
    }
}
