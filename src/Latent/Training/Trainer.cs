using System.Diagnostics;
using Latent.Data;
using Latent.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>
/// Minimises any <see cref="ITrainable"/>'s <see cref="LossTerms.Total"/> with Adam(W), a warm-up
/// and cosine schedule and optional gradient clipping; validates every epoch; hands the selected
/// weights, checkpoints, metrics and warnings to an <see cref="ITrainingStore"/>. It knows nothing
/// about the model it trains nor about files: every stage of every family (an autoencoder, a VQ-VAE's
/// prior over its codes) is trained by it.
/// <para>
/// Determinism: the data order of an epoch is drawn from (seed, epoch) and the global torch
/// generator is re-seeded from (seed, step) before every step, so every random draw is a pure
/// function of where training stands, and a resumed run replays an uninterrupted one exactly.
/// </para>
/// <para>
/// Divergence: when a loss term or the gradient becomes NaN or infinite, the step is not taken;
/// training rolls back to the last checkpoint known to be good (the end of an epoch whose validation
/// was finite), halves the learning rate and goes on, and gives up with a one-line error after
/// <see cref="MaxRollbacks"/> such rollbacks. Nothing non-finite is ever handed to the store.
/// </para>
/// </summary>
/// <param name="options">How to train.</param>
/// <param name="observer">Progress, epochs and warnings, for a user interface.</param>
/// <param name="diagnose">Figures and warnings about the model after every epoch, on the validation split (optional).</param>
/// <param name="stage">The name of the stage being trained, for progress lines ("prior"); null for a model's main training.</param>
public sealed class Trainer(TrainingOptions options, ITrainingObserver observer, Func<Dataset, Diagnosis>? diagnose = null, string? stage = null)
{
    const long ValidationStream = -1;

    /// <summary>Rollbacks after divergences before training gives up.</summary>
    public const int MaxRollbacks = 4;

    /// <summary>The metrics.jsonl key <c>train_loss</c>: the minimised objective, averaged over the epoch's training batches.</summary>
    public static readonly MetricKey TrainLoss = new("train_loss", "the minimised objective, averaged over the epoch's training batches");
    /// <summary>The metrics.jsonl key <c>val_loss</c>: the final objective (no warm-up, no schedule) on the validation split; the selected weights have its lowest value.</summary>
    public static readonly MetricKey ValidationLoss = new("val_loss", "the final objective (no warm-up, no schedule) on the validation split; the selected weights have its lowest value");
    /// <summary>The metrics.jsonl key <c>train_{term}</c>: a named term of the objective, averaged over the epoch's training batches.</summary>
    public static readonly MetricKey TrainTerm = new("train_{term}", "a named term of the objective, averaged over the epoch's training batches");
    /// <summary>The metrics.jsonl key <c>val_{term}</c>: a named term of the final objective on the validation split.</summary>
    public static readonly MetricKey ValidationTerm = new("val_{term}", "a named term of the final objective on the validation split");
    /// <summary>The metrics.jsonl key <c>lr</c>: the learning rate of the epoch's last step.</summary>
    public static readonly MetricKey LearningRate = new("lr", "the learning rate of the epoch's last step");
    /// <summary>The metrics.jsonl key <c>seconds</c>: wall-clock seconds the epoch took, validation included.</summary>
    public static readonly MetricKey Seconds = new("seconds", "wall-clock seconds the epoch took, validation included");
    /// <summary>The metrics.jsonl key <c>epoch</c>: 1-based epoch.</summary>
    public static readonly MetricKey Epoch = new("epoch", "1-based epoch");
    /// <summary>The metrics.jsonl key <c>step</c>: optimiser steps taken when the epoch ended.</summary>
    public static readonly MetricKey Step = new("step", "optimiser steps taken when the epoch ended");

    /// <summary>
    /// Trains <paramref name="model"/> for <see cref="TrainingOptions.Epochs"/> epochs, from scratch or (with
    /// <paramref name="resume"/>) from the store's latest checkpoint; returns where training ends.
    /// </summary>
    public TrainingState Fit(nn.Module model, DataSplits data, ITrainingStore store, bool resume)
    {
        var trainable = model as ITrainable ?? throw new ArgumentException($"{model.GetName()} has no loss to minimise (it is not ITrainable)", nameof(model));
        model.to(Devices.Resolve(options.Device));
        using var optimizer = new Adam(model.named_parameters(), options.WeightDecay, options.Optimizer == OptimizerKind.AdamW);
        // A run killed between writing its manifest and its first checkpoint has trained nothing: start it afresh.
        var state = resume ? store.Load(CheckpointKind.Latest, model, optimizer) : null;
        if (state is null)
        {
            if (model is IFitsTrainingSplit statistics) statistics.FitTrainingSplit(data.Train); // e.g. column means and spreads, saved with the weights
            state = new TrainingState();
            store.ForgetEpochsAfter(0);
            store.Save(CheckpointKind.Latest, model, optimizer, state); // a run is resumable from its first moment
            store.Save(CheckpointKind.Good, model, optimizer, state);
        }
        else store.ForgetEpochsAfter(state.Epoch);

        var session = new Session(model, trainable, optimizer, data, store, Stopwatch.StartNew(),
            StepsPerEpoch: (data.Train.Count + options.BatchSize - 1) / options.BatchSize);
        while (state.Epoch < options.Epochs)
        {
            try
            {
                state = RunEpoch(session, state);
            }
            catch (DivergenceException divergence)
            {
                state = RollBack(session, divergence, session.Reached ?? state);
            }
        }
        StepsTaken = session.StepsTaken;
        return state;
    }

    /// <summary>Optimiser steps the last <see cref="Fit"/> took (0 when it had nothing left to do).</summary>
    public long StepsTaken { get; private set; }

    /// <summary>What stays fixed while a model trains.</summary>
    sealed record Session(nn.Module Module, ITrainable Model, Adam Optimizer, DataSplits Data, ITrainingStore Store, Stopwatch Clock, int StepsPerEpoch)
    {
        public long TotalSteps(int epochs) => (long)StepsPerEpoch * epochs;
        public long StepsTaken { get; set; }
        /// <summary>Where the last step left training: what a rollback counts from.</summary>
        public TrainingState? Reached { get; set; }
    }

    /// <summary>One epoch, from where <paramref name="state"/> stands.</summary>
    TrainingState RunEpoch(Session session, TrainingState state)
    {
        var data = session.Data;
        int epoch = state.Epoch;
        long totalSteps = session.TotalSteps(options.Epochs);
        var epochClock = Stopwatch.StartNew();
        var order = Shuffle.Permutation(data.Train.Count, Shuffle.Derive(options.Seed, epoch));
        var sums = new Dictionary<string, double>(state.TermSums);
        long examples = state.ExamplesInEpoch;
        session.Module.train();
        using var reader = new BatchReader(data.Train, order, options.BatchSize);

        for (int batch = state.BatchInEpoch; batch < session.StepsPerEpoch; batch++)
        {
            using var x = reader.Read(batch);
            int count = (int)x.shape[0];
            // A model conditioned on labels gets this batch's (order[start..start + count]) for the step.
            using var labels = session.Model is Autoencoder { Condition: not null } ? LabelCondition.LabelsOf(data.Train, order.AsSpan(batch * options.BatchSize, count)) : null;
            using var given = (session.Model as Autoencoder)?.Given(labels);
            double learningRate = options.LearningRate(state.Step, totalSteps) * state.LearningRateScale;
            var context = LossContext.Training(new TrainingPosition(epoch, state.Step, session.StepsPerEpoch), data.Train.Count);
            TrainStep(session, x, context, learningRate, sums);
            examples += count;
            session.StepsTaken++;
            state = state with { BatchInEpoch = batch + 1, Step = state.Step + 1, TermSums = new(sums), ExamplesInEpoch = examples };
            session.Reached = state;

            double perSecond = session.StepsTaken * options.BatchSize / Math.Max(1e-9, session.Clock.Elapsed.TotalSeconds);
            observer.OnProgress(new TrainingProgress(epoch, options.Epochs, batch + 1, session.StepsPerEpoch, state.Step,
                sums["loss"] / examples, perSecond, TimeSpan.FromSeconds((totalSteps - state.Step) * options.BatchSize / Math.Max(1e-9, perSecond)), stage));
            if (options.CheckpointEvery > 0 && state.Step % options.CheckpointEvery == 0 && batch + 1 < session.StepsPerEpoch)
                SaveCheckpoint(session, CheckpointKind.Latest, state);
        }

        var values = sums.ToDictionary(pair => "train_" + pair.Key, pair => pair.Value / examples);
        var validation = Validate(session, data.Validation, data.Train.Count);
        foreach (var (name, value) in validation) values["val_" + name] = value;
        var diagnosis = diagnose?.Invoke(data.Validation) ?? Diagnosis.None;
        foreach (var (name, value) in diagnosis.Figures) values[name] = value;
        values[LearningRate.Name] = options.LearningRate(state.Step - 1, totalSteps) * state.LearningRateScale;
        values[Seconds.Name] = epochClock.Elapsed.TotalSeconds;

        double judged = validation.TryGetValue("loss", out var validationLoss) ? validationLoss : values[TrainLoss.Name];
        if (!double.IsFinite(judged)) throw new DivergenceException(state.Step, epoch, data.Validation.Count > 0 ? "the validation loss" : "the training loss");
        bool isBest = judged < state.BestValidationLoss || data.Validation.Count == 0;
        state = state with
        {
            Epoch = epoch + 1, BatchInEpoch = 0, TermSums = [], ExamplesInEpoch = 0,
            BestValidationLoss = isBest ? judged : state.BestValidationLoss, BestEpoch = isBest ? epoch + 1 : state.BestEpoch,
        };

        EnsureFinite(session, state);
        session.Store.AppendEpoch(new EpochMetrics(epoch + 1, state.Step, values, isBest));
        foreach (var warning in diagnosis.Warnings) Warn(session, $"epoch {epoch + 1}: {warning}");
        if (isBest) session.Store.SaveSelected(session.Module, state);
        session.Store.Save(CheckpointKind.Latest, session.Module, session.Optimizer, state);
        session.Store.Save(CheckpointKind.Good, session.Module, session.Optimizer, state);
        observer.OnEpoch(new EpochMetrics(epoch + 1, state.Step, values, isBest, stage));
        return state;
    }

    /// <summary>One optimiser step on the batch <paramref name="examples"/> [B, ...shape]; adds the batch's terms to <paramref name="sums"/>.</summary>
    void TrainStep(Session session, Tensor examples, LossContext context, double learningRate, Dictionary<string, double> sums)
    {
        using var scope = NewDisposeScope();
        var position = context.Position!;
        torch.manual_seed(Shuffle.Derive(options.Seed, position.Step));
        var x = examples.to(Devices.Resolve(options.Device));
        long count = examples.shape[0];

        session.Optimizer.ZeroGrad();
        var loss = session.Model.Loss(x, context);
        var values = loss.Terms.Select(term => (Name: term.Term.Name, Value: (double)term.Value.item<float>()))
                               .Prepend((Name: "loss", Value: loss.Total.item<float>())).ToArray();
        var bad = values.Where(term => !double.IsFinite(term.Value)).Select(term => term.Name).ToArray();
        if (bad.Length > 0) throw new DivergenceException(position.Step, position.Epoch, string.Join(", ", bad));

        loss.Total.backward();
        // A finite loss can still have an infinite derivative: never let such a gradient reach the weights.
        if (!session.Optimizer.GradientsFinite()) throw new DivergenceException(position.Step, position.Epoch, "the gradient");
        if (options.GradClip > 0) nn.utils.clip_grad_norm_(session.Optimizer.Parameters, options.GradClip);
        session.Optimizer.Step(learningRate);
        foreach (var (name, value) in values) sums[name] = sums.GetValueOrDefault(name) + value * count;
    }

    /// <summary>A checkpoint of <paramref name="kind"/>, after checking that weights and moments are finite.</summary>
    void SaveCheckpoint(Session session, CheckpointKind kind, TrainingState state)
    {
        EnsureFinite(session, state);
        session.Store.Save(kind, session.Module, session.Optimizer, state);
    }

    static void EnsureFinite(Session session, TrainingState state)
    {
        if (!Finite.All(session.Module.parameters()) || !Finite.All(session.Module.buffers()) || !Finite.All(session.Optimizer.State().Select(entry => entry.Tensor)))
            throw new DivergenceException(state.Step, Math.Max(0, state.Epoch - (state.BatchInEpoch == 0 ? 1 : 0)), "the weights or optimiser moments");
    }

    /// <summary>
    /// Restores the last good checkpoint with half the learning rate, or gives up after <see cref="MaxRollbacks"/>;
    /// <paramref name="reached"/> is where training had got to, whose rollback count carries on.
    /// </summary>
    TrainingState RollBack(Session session, DivergenceException divergence, TrainingState reached)
    {
        var restored = session.Store.Load(CheckpointKind.Good, session.Module, session.Optimizer)
            ?? session.Store.Load(CheckpointKind.Latest, session.Module, session.Optimizer) // a run begun before good checkpoints existed
            ?? throw new InvalidOperationException("the training store has no checkpoint to roll back to");
        int rollbacks = Math.Max(reached.Rollbacks, restored.Rollbacks) + 1;
        if (rollbacks > MaxRollbacks)
            throw new UserInputException(
                $"training keeps diverging ({divergence.Terms} non-finite at step {divergence.Step} after {MaxRollbacks} rollbacks to ever lower learning rates); " +
                $"lower {nameof(TrainingOptions.Lr)}, pass {nameof(TrainingOptions.GradClip)} 1, or check the data, then {LibraryNames.Resume}",
                nameof(TrainingOptions.Lr), nameof(TrainingOptions.GradClip), LibraryNames.Resume);
        var state = restored with { Rollbacks = rollbacks, LearningRateScale = Math.Min(reached.LearningRateScale, restored.LearningRateScale) / 2 };
        session.Store.ForgetEpochsAfter(state.Epoch);
        session.Store.Save(CheckpointKind.Latest, session.Module, session.Optimizer, state);
        session.Store.Save(CheckpointKind.Good, session.Module, session.Optimizer, state);
        Warn(session, $"step {divergence.Step} (epoch {divergence.Epoch + 1}): {divergence.Terms} became non-finite; " +
                      $"rolled back to step {state.Step} and halved the learning rate (now ×{state.LearningRateScale:G3} of the schedule)");
        return state;
    }

    /// <summary>The final objective on the validation split, with a fixed seed so that epochs are comparable.</summary>
    Dictionary<string, double> Validate(Session session, Dataset validation, long trainingExamples)
    {
        var sums = new Dictionary<string, double>();
        if (validation.Count == 0) return sums;
        session.Module.eval();
        using (no_grad())
        {
            torch.manual_seed(Shuffle.Derive(options.Seed, ValidationStream));
            int batchSize = Math.Max(options.BatchSize, 512);
            foreach (var batch in session.Model is Autoencoder model ? Batched.WithLabels(model, validation, batchSize) : validation.Batches(batchSize))
            {
                using var scope = NewDisposeScope();
                var loss = session.Model.Loss(batch.to(Devices.Resolve(options.Device)), LossContext.Final(trainingExamples));
                long count = batch.shape[0];
                sums["loss"] = sums.GetValueOrDefault("loss") + loss.Total.item<float>() * count;
                foreach (var (term, value) in loss.Terms) sums[term.Name] = sums.GetValueOrDefault(term.Name) + value.item<float>() * count;
            }
        }
        session.Module.train();
        return sums.ToDictionary(pair => pair.Key, pair => pair.Value / validation.Count);
    }

    void Warn(Session session, string message)
    {
        session.Store.Warn(message);
        observer.OnWarning(message);
    }

    /// <summary>A loss term, the gradient or the weights became NaN or infinite at a step.</summary>
    sealed class DivergenceException(long step, int epoch, string terms) : Exception($"{terms} non-finite at step {step}")
    {
        public long Step { get; } = step;
        public int Epoch { get; } = epoch;
        public string Terms { get; } = terms;
    }
}
