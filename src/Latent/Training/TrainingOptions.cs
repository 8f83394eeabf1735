using System.ComponentModel;

namespace Latent.Training;

/// <summary>The optimiser of <see cref="TrainingOptions.Optimizer"/>.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (Kingma &amp; Ba 2015); weight decay, if any, is added to the gradient (L2).</summary>
    Adam,
    /// <summary>AdamW (Loshchilov &amp; Hutter 2019): weight decay decoupled from the gradient.</summary>
    AdamW,
}

/// <summary>The learning-rate schedule of <see cref="TrainingOptions.Schedule"/>.</summary>
public enum ScheduleKind
{
    /// <summary>Linear warm-up, then a half cosine from the base rate down to the floor (<see cref="TrainingOptions.LrFloor"/>, zero by default).</summary>
    Cosine,
    /// <summary>Linear warm-up, then the base rate throughout.</summary>
    Constant,
}

/// <summary>How a model is trained; every field is recorded in the run's manifest.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training split.</summary>
    [Description("passes over the training split")]
    public int Epochs { get; init; } = 10;

    /// <summary>Examples per optimiser step.</summary>
    [Description("examples per optimiser step")]
    public int BatchSize { get; init; } = 128;

    /// <summary>Base learning rate.</summary>
    [Description("base learning rate")]
    public double Lr { get; init; } = 1e-3;

    /// <summary>Optimiser: adam or adamw.</summary>
    [Description("optimiser: adam or adamw")]
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Weight decay (L2 for adam, decoupled for adamw).</summary>
    [Description("weight decay (L2 for adam, decoupled for adamw)")]
    public double WeightDecay { get; init; }

    /// <summary>Learning-rate schedule after warm-up: cosine or constant.</summary>
    [Description("learning-rate schedule after warm-up: cosine or constant")]
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>Cosine schedule: the fraction of <see cref="Lr"/> it decays to by the last step (0: to zero).</summary>
    [Description("cosine schedule: the fraction of --lr it decays to by the last step (0: to zero)")]
    public double LrFloor { get; init; }

    /// <summary>Fraction of all steps spent raising the learning rate linearly from zero.</summary>
    [Description("fraction of all steps spent raising the learning rate linearly from zero")]
    public double Warmup { get; init; } = 0.02;

    /// <summary>
    /// Warm up over at least this many steps (never more than half of all steps), whatever <see cref="Warmup"/> gives: a
    /// short run's early steps at the full rate can kill a network (constant output), whatever its length.
    /// </summary>
    [Description("warm up over at least this many steps (never more than half of all steps), whatever --warmup gives")]
    public int WarmupMinSteps { get; init; }

    /// <summary>Clip the global gradient norm to this value; 0 turns clipping off.</summary>
    [Description("clip the global gradient norm to this value; 0 turns clipping off")]
    public double GradClip { get; init; }

    /// <summary>Seed for initial weights, the validation split, data order and every random draw.</summary>
    [Description("seed for initial weights, the validation split, data order and every random draw")]
    public int Seed { get; init; } = 1;

    /// <summary>Also checkpoint every this many steps (0: only at the end of each epoch).</summary>
    [Description("also checkpoint every this many steps (0: only at the end of each epoch)")]
    public int CheckpointEvery { get; init; }

    /// <summary>Device to train on: cpu, or cuda where a TorchSharp CUDA package is referenced.</summary>
    [Description("device to train on: cpu, or cuda where a TorchSharp CUDA package is referenced")]
    public string Device { get; init; } = "cpu";

    /// <summary>Throws a <see cref="UserInputException"/> naming the first option out of its range.</summary>
    public void Validate()
    {
        if (Epochs <= 0) throw new UserInputException($"{nameof(Epochs)} {Epochs} must be positive; pass e.g. {nameof(Epochs)} 10", nameof(Epochs));
        if (BatchSize <= 0) throw new UserInputException($"{nameof(BatchSize)} {BatchSize} must be positive; pass e.g. {nameof(BatchSize)} 128", nameof(BatchSize));
        if (!(Lr > 0) || !double.IsFinite(Lr)) throw new UserInputException($"{nameof(Lr)} {Lr} must be a positive number; pass e.g. {nameof(Lr)} 1e-3", nameof(Lr));
        if (WeightDecay < 0 || !double.IsFinite(WeightDecay)) throw new UserInputException($"{nameof(WeightDecay)} {WeightDecay} must be zero or positive", nameof(WeightDecay));
        if (Warmup is < 0 or >= 1 || double.IsNaN(Warmup)) throw new UserInputException($"{nameof(Warmup)} {Warmup} must be a fraction in [0, 1), e.g. 0.02", nameof(Warmup));
        if (WarmupMinSteps < 0) throw new UserInputException($"{nameof(WarmupMinSteps)} {WarmupMinSteps} must be zero or a number of steps, e.g. 100", nameof(WarmupMinSteps));
        if (LrFloor is < 0 or > 1 || double.IsNaN(LrFloor))
            throw new UserInputException($"{nameof(LrFloor)} {LrFloor} must be a fraction of {nameof(Lr)} in [0, 1], e.g. 0.1", nameof(LrFloor), nameof(Lr));
        if (GradClip < 0 || !double.IsFinite(GradClip)) throw new UserInputException($"{nameof(GradClip)} {GradClip} must be zero (off) or positive", nameof(GradClip));
        if (CheckpointEvery < 0)
            throw new UserInputException($"{nameof(CheckpointEvery)} {CheckpointEvery} must be zero (epoch ends only) or a number of steps", nameof(CheckpointEvery));
        if (Device is not ("cpu" or "cuda") && !Device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new UserInputException($"{nameof(Device)} {Device} is not a device; pass cpu or cuda", nameof(Device));
    }

    /// <summary>The learning rate at a 0-based step of <paramref name="totalSteps"/>.</summary>
    public double LearningRate(long step, long totalSteps)
    {
        long warmupSteps = Math.Max((long)Math.Round(Warmup * totalSteps), Math.Min(WarmupMinSteps, totalSteps / 2));
        if (step < warmupSteps) return Lr * (step + 1) / warmupSteps;
        if (Schedule == ScheduleKind.Constant) return Lr;
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        // floor + ½(1 − floor)(1 + cos πt): from the base rate at t = 0 down to floor·Lr at t = 1.
        return Lr * (LrFloor + 0.5 * (1 - LrFloor) * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
    }
}
