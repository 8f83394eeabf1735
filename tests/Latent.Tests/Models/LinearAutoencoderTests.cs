using Latent.Families;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.Linear;
using Latent.Models.Pca;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

public sealed class LinearAutoencoderTests
{
    /// <summary>
    /// Full-batch Adam on a cosine schedule: deterministic, and enough for a 16-feature table. On one
    /// thread: steps this small only lose time to a second thread, badly so on a busy machine.
    /// </summary>
    static LinearAutoencoder Train(Dataset data, LinearOptions options, int steps = 600, double learningRate = 5e-2)
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try { return TrainOnThisThread(data, options, steps, learningRate); }
        finally { set_num_threads(threads); }
    }

    static LinearAutoencoder TrainOnThisThread(Dataset data, LinearOptions options, int steps, double learningRate)
    {
        manual_seed(5);
        var model = new LinearAutoencoder(options, data.Shape);
        using var optimizer = new Adam(model.named_parameters());
        var schedule = new TrainingOptions { Lr = learningRate, Warmup = 0 };
        model.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            model.Loss(data.Features, LossContext.Training(new TrainingPosition(0, step, steps), 0)).Total.backward();
            optimizer.Step(schedule.LearningRate(step, steps));
        }
        model.eval();
        return model;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_descent_reaches_the_PCA_error_and_the_principal_subspace(bool tied)
    {
        var truth = LowRankData.Generate(rows: 2000, features: 16, [3, 2, 1.5], noise: 0.1, seed: 11);
        using var model = Train(truth.Data, new LinearOptions { LatentDim = 3, Tied = tied });
        using var pca = PcaModel.Fitted(truth.Data, components: 3);

        double error = Evaluator.ReconstructionError(model, truth.Data), optimum = Evaluator.ReconstructionError(pca, truth.Data);
        Assert.True(error >= optimum * (1 - 1e-5), $"below the Eckart–Young optimum? {error} < {optimum}");
        Assert.True(error <= optimum * 1.005, $"error {error} against PCA's {optimum}");
        using var noGrad = no_grad();
        Assert.InRange(PrincipalSubspace.LargestAngleDegrees(model.DecoderColumns, pca.Components.T), 0, 1);
        Assert.InRange(PrincipalSubspace.LargestAngleDegrees(model.DecoderColumns, truth.Basis), 0, 1);
    }

    [Fact]
    public void Eval_reports_the_PCA_optimum_and_the_largest_principal_angle()
    {
        var truth = LowRankData.Generate(rows: 1500, features: 10, [3, 2], noise: 0.1, seed: 12);
        var test = LowRankData.Generate(rows: 1500, features: 10, [3, 2], noise: 0.1, seed: 12).Data; // same distribution
        using var model = Train(truth.Data, new LinearOptions { LatentDim = 2 });
        var figures = Evaluator.Evaluate(model, test, new EvaluationOptions { TrainingSplit = new(() => truth.Data) });
        Assert.InRange(figures["principal_angle_max_deg"], 0, 1);
        Assert.InRange(figures["test_mse"] / figures["pca_optimum_mse"], 0.99, 1.01);
        Assert.False(Evaluator.Evaluate(model, test, new EvaluationOptions()).ContainsKey("pca_optimum_mse"));
    }

    [Fact]
    public void The_mean_buffer_is_the_exact_mean_of_the_training_batches_and_is_frozen_in_eval_mode()
    {
        var data = LowRankData.Generate(rows: 300, features: 5, [1], noise: 0.5, seed: 13).Data;
        using var model = new LinearAutoencoder(new LinearOptions { LatentDim = 2 }, data.Shape);
        model.train();
        using var noGrad = no_grad();
        foreach (var batch in data.Batches(64)) model.Encode(batch);  // batches of 64, 64, 64, 64, 44
        Assert.True(model.Mean.allclose(data.Features.mean([0]), atol: 1e-5));
        Assert.Equal(300, model.state_dict()["mean_count"].item<double>());
        var before = model.Mean.clone();
        model.eval();
        model.Encode(data.Features * 7);
        Assert.True(model.Mean.SameAs(before));
    }

    [Fact]
    public void The_decoder_is_affine_with_no_output_squashing_even_for_images()
    {
        manual_seed(1);
        using var model = new LinearAutoencoder(new LinearOptions { LatentDim = 4 }, DataShape.Image(1, 6, 6));
        using var noGrad = no_grad();
        var (a, b) = (randn(3, 4) * 50, randn(3, 4) * 50);
        var origin = model.Decode(zeros(3, 4));
        Assert.True((model.Decode(a + b) - origin).allclose(model.Decode(a) - origin + (model.Decode(b) - origin), atol: 1e-3));
        Assert.True(model.Decode(a).abs().max().item<float>() > 1); // a sigmoid would keep it in (0, 1)
    }

    [Fact]
    public void Tied_weights_share_the_encoder_matrix_and_the_keys_are_pytorch_names()
    {
        using var untied = new LinearAutoencoder(new LinearOptions { LatentDim = 3 }, DataShape.Table(7));
        using var tied = new LinearAutoencoder(new LinearOptions { LatentDim = 3, Tied = true }, DataShape.Table(7));
        Assert.Equal(["decoder.weight", "encoder.weight", "mean", "mean_count"], untied.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["encoder.weight", "mean", "mean_count"], tied.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new long[] { 7, 3 }, untied.state_dict()["decoder.weight"].shape);
        using var noGrad = no_grad();
        Assert.True(tied.DecoderColumns.SameAs(tied.state_dict()["encoder.weight"].T));
    }

    [Fact]
    public void Options_that_cannot_be_linear_are_one_line_user_errors()
    {
        var table = DataShape.Table(5);
        Assert.Contains("more than the 5 features", Assert.Throws<UserInputException>(() => new LinearOptions { LatentDim = 6 }.Validate(table)).Message);
        Assert.Contains("Arch conv", Assert.Throws<UserInputException>(() =>
            ModelCatalog.Find("linear").Validate(new LinearOptions { Arch = Architecture.Conv, LatentDim = 2 }, DataShape.Image(1, 8, 8))).Message);
        Assert.Throws<UserInputException>(() => new LinearOptions { LatentDim = 2 }.Validate(DataShape.Tokens(8, 20)));
    }
}
