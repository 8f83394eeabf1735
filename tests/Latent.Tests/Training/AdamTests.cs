using Latent.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Tests.Training;

/// <summary>Our Adam must take the same steps as torch.optim's, which PyTorch users know.</summary>
public sealed class AdamTests
{
    static nn.Module<Tensor, Tensor> Model()
    {
        manual_seed(7);
        return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1));
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 0.1)]
    public void Matches_torch_optim_step_for_step(bool decoupled, double weightDecay)
    {
        using var ours = Model();
        using var theirs = Model();
        using var adam = new Adam(ours.named_parameters(), weightDecay, decoupled);
        var reference = decoupled
            ? (optim.Optimizer)optim.AdamW(theirs.parameters(), lr: 0.01, weight_decay: weightDecay)
            : optim.Adam(theirs.parameters(), lr: 0.01, weight_decay: weightDecay);
        manual_seed(8);
        using var x = randn(16, 5);
        using var y = randn(16, 1);
        for (int step = 0; step < 25; step++)
        {
            adam.ZeroGrad();
            nn.functional.mse_loss(ours.forward(x), y).backward();
            adam.Step(0.01);
            reference.zero_grad();
            nn.functional.mse_loss(theirs.forward(x), y).backward();
            reference.step();
        }
        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
            Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-5), $"max difference {(a - b).abs().max().item<float>()}");
    }

    [Fact]
    public void The_fused_update_of_a_large_parameter_matches_the_tensor_operations()
    {
        // 200 000 elements: the fused path splits them into parallel chunks; a 2-D view of a
        // non-contiguous slice takes the general path. Both must agree with torch.optim.Adam.
        manual_seed(3);
        using var start = randn(400, 500);
        using var gradient = randn(400, 500);
        var ours = new TorchSharp.Modules.Parameter(start.clone());
        var theirs = new TorchSharp.Modules.Parameter(start.clone());
        using var adam = new Adam([("w", ours)], weightDecay: 0.01, decoupled: true);
        var reference = optim.AdamW([theirs], lr: 0.003, weight_decay: 0.01);
        for (int step = 0; step < 5; step++)
        {
            ours.grad = gradient.clone();
            theirs.grad = gradient.clone();
            adam.Step(0.003);
            reference.step();
        }
        Assert.True(ours.allclose(theirs, rtol: 1e-5, atol: 1e-6), $"max difference {(ours - theirs).abs().max().item<float>()}");
    }

    [Fact]
    public void The_cosine_schedule_warms_up_then_decays_to_zero()
    {
        var options = new TrainingOptions { Lr = 1.0, Warmup = 0.1 };
        Assert.Equal(0.1, options.LearningRate(0, 100), 9);
        Assert.Equal(1.0, options.LearningRate(9, 100), 9);
        Assert.Equal(1.0, options.LearningRate(10, 100), 9);
        Assert.Equal(0.5, options.LearningRate(55, 100), 9);
        Assert.True(options.LearningRate(99, 100) < 0.001);
        Assert.Equal(1.0, (options with { Schedule = ScheduleKind.Constant }).LearningRate(99, 100));
    }

    [Fact]
    public void A_floor_stops_the_cosine_at_that_fraction_of_the_base_rate()
    {
        var options = new TrainingOptions { Lr = 2.0, Warmup = 0, LrFloor = 0.1 };
        Assert.Equal(2.0, options.LearningRate(0, 100), 9);
        Assert.Equal(2.0 * (0.1 + 0.9 * 0.5), options.LearningRate(50, 100), 9);   // halfway: the floor plus half the rest
        Assert.Equal(0.2, options.LearningRate(99, 100), 3);                       // the last step is at the floor
        Assert.Throws<UserInputException>(() => (options with { LrFloor = 1.5 }).Validate());
    }

    [Fact]
    public void A_short_run_still_warms_up_over_the_minimum_steps_but_never_past_half_of_them()
    {
        var options = new TrainingOptions { Lr = 1.0, Warmup = 0.1, WarmupMinSteps = 100 };
        Assert.Equal(0.01, options.LearningRate(0, 300), 9);     // 100 warm-up steps, not 30
        Assert.Equal(0.5, options.LearningRate(49, 300), 9);
        Assert.Equal(1.0, options.LearningRate(99, 300), 9);
        Assert.Equal(0.02, options.LearningRate(9, 5000), 9);   // a long run keeps its tenth: 500 steps, step 10 of them
        Assert.Equal(1.0 / 40, options.LearningRate(0, 80), 9);  // 80 steps in all: 40 of warm-up
        Assert.Throws<UserInputException>(() => (options with { WarmupMinSteps = -1 }).Validate());
    }
}
