using System.Diagnostics;
using Latent.Data;
using Latent.Models;
using Latent.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>
/// Minimises any <see cref="Autoencoder"/>'s <see cref="LossTerms.Total"/> with Adam(W), a warm-up
/// and cosine schedule and optional gradient clipping; validates every epoch; keeps the best weights
/// in model.safetensors and the last state in checkpoint/last.safetensors; appends metrics.jsonl.
/// It knows nothing about the model it trains.
/// <para>
/// Determinism: the data order of an epoch is drawn from (seed, epoch) and the global torch
/// generator is re-seeded from (seed, step) before every step, so every random draw is a pure
/// function of where training stands, and a resumed run replays an uninterrupted one exactly.
/// </para>
/// <para>
/// Divergence: when a loss term becomes NaN or infinite, the step is not taken; training rolls back
/// to the last checkpoint, halves the learning rate and goes on, and gives up with a one-line
/// error after <see cref="MaxRollbacks"/> such rollbacks.
/// </para>
/// </summary>
public sealed class Trainer(TrainingOptions options, ITrainingObserver observer, Func<Dataset, Diagnosis>? diagnose = null)
{
    const long ValidationStream = -1;
    public const int MaxRollbacks = 4;

    public TrainingState Fit(Autoencoder model, DataSplits data, RunDirectory run, bool resume)
    {
        Directory.CreateDirectory(run.Path);
        model.to(torch.device(options.Device));
        using var optimizer = new Adam(model.named_parameters(), options.WeightDecay, options.Optimizer == OptimizerKind.AdamW);
        TrainingState state;
        // A run killed between writing its manifest and its first checkpoint has trained nothing: start it afresh.
        if (resume && File.Exists(run.LastCheckpointPath))
        {
            state = Checkpoint.Load(run.LastCheckpointPath, model, optimizer);
            MetricsLog.TruncateAfter(run.MetricsPath, state.Epoch);
        }
        else
        {
            state = new TrainingState();
            Checkpoint.Save(run.LastCheckpointPath, model, optimizer, state); // a run is resumable from its first moment
        }

        var session = new Session(model, optimizer, data, run, Stopwatch.StartNew(),
            StepsPerEpoch: (data.Train.Count + options.BatchSize - 1) / options.BatchSize);
        while (state.Epoch < options.Epochs)
        {
            try
            {
                state = RunEpoch(session, state);
            }
            catch (DivergenceException divergence)
            {
                state = RollBack(session, divergence);
            }
        }
        return state;
    }

    /// <summary>What stays fixed while a run trains.</summary>
    sealed record Session(Autoencoder Model, Adam Optimizer, DataSplits Data, RunDirectory Run, Stopwatch Clock, int StepsPerEpoch)
    {
        public long TotalSteps(int epochs) => (long)StepsPerEpoch * epochs;
        public long StepsTaken { get; set; }
    }

    TrainingState RunEpoch(Session session, TrainingState state)
    {
        var (model, data) = (session.Model, session.Data);
        int epoch = state.Epoch;
        long totalSteps = session.TotalSteps(options.Epochs);
        var epochClock = Stopwatch.StartNew();
        var order = Shuffle.Permutation(data.Train.Count, Shuffle.Derive(options.Seed, epoch));
        var sums = new Dictionary<string, double>(state.TermSums);
        long examples = state.ExamplesInEpoch;
        model.train();

        for (int batch = state.BatchInEpoch; batch < session.StepsPerEpoch; batch++)
        {
            int start = batch * options.BatchSize, count = Math.Min(options.BatchSize, order.Length - start);
            double learningRate = options.LearningRate(state.Step, totalSteps) * state.LearningRateScale;
            TrainStep(session, order.AsSpan(start, count), LossContext.Training(new TrainingPosition(epoch, state.Step, session.StepsPerEpoch), data.Train.Count), learningRate, sums);
            examples += count;
            session.StepsTaken++;
            state = state with { BatchInEpoch = batch + 1, Step = state.Step + 1, TermSums = sums, ExamplesInEpoch = examples };

            double perSecond = session.StepsTaken * options.BatchSize / Math.Max(1e-9, session.Clock.Elapsed.TotalSeconds);
            observer.OnProgress(new TrainingProgress(epoch, options.Epochs, batch + 1, session.StepsPerEpoch, state.Step,
                sums["loss"] / examples, perSecond, TimeSpan.FromSeconds((totalSteps - state.Step) * options.BatchSize / Math.Max(1e-9, perSecond))));
            if (options.CheckpointEvery > 0 && state.Step % options.CheckpointEvery == 0 && batch + 1 < session.StepsPerEpoch)
                Checkpoint.Save(session.Run.LastCheckpointPath, model, session.Optimizer, state);
        }

        var values = sums.ToDictionary(pair => "train_" + pair.Key, pair => pair.Value / examples);
        var validation = Validate(model, data.Validation, data.Train.Count);
        foreach (var (name, value) in validation) values["val_" + name] = value;
        var diagnosis = diagnose?.Invoke(data.Validation) ?? Diagnosis.None;
        foreach (var (name, value) in diagnosis.Figures) values[name] = value;
        values["lr"] = options.LearningRate(state.Step - 1, totalSteps) * state.LearningRateScale;
        values["seconds"] = epochClock.Elapsed.TotalSeconds;

        double judged = validation.TryGetValue("loss", out var validationLoss) ? validationLoss : values["train_loss"];
        if (!double.IsFinite(judged)) throw new DivergenceException(state.Step, epoch, "validation loss");
        bool isBest = judged < state.BestValidationLoss || data.Validation.Count == 0;
        state = state with
        {
            Epoch = epoch + 1, BatchInEpoch = 0, TermSums = [], ExamplesInEpoch = 0,
            BestValidationLoss = isBest ? judged : state.BestValidationLoss, BestEpoch = isBest ? epoch + 1 : state.BestEpoch,
        };

        MetricsLog.Append(session.Run.MetricsPath, epoch + 1, state.Step, values);
        foreach (var warning in diagnosis.Warnings) Warn(session.Run, $"epoch {epoch + 1}: {warning}");
        if (isBest) session.Run.SaveModel(model);
        Checkpoint.Save(session.Run.LastCheckpointPath, model, session.Optimizer, state);
        observer.OnEpoch(new EpochMetrics(epoch + 1, state.Step, values, isBest));
        return state;
    }

    /// <summary>One optimiser step on the examples at <paramref name="indices"/>; adds the batch's terms to <paramref name="sums"/>.</summary>
    void TrainStep(Session session, ReadOnlySpan<int> indices, LossContext context, double learningRate, Dictionary<string, double> sums)
    {
        using var scope = NewDisposeScope();
        var position = context.Position!;
        torch.manual_seed(Shuffle.Derive(options.Seed, position.Step));
        var index = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) index[i] = indices[i];
        var x = session.Data.Train.Features.index_select(0, tensor(index)).to(torch.device(options.Device));

        session.Optimizer.ZeroGrad();
        var loss = session.Model.Loss(x, context);
        var values = loss.Terms.Select(term => (Name: term.Term.Name, Value: (double)term.Value.item<float>()))
                               .Prepend((Name: "loss", Value: loss.Total.item<float>())).ToArray();
        var bad = values.Where(term => !double.IsFinite(term.Value)).Select(term => term.Name).ToArray();
        if (bad.Length > 0) throw new DivergenceException(position.Step, position.Epoch, string.Join(", ", bad));

        loss.Total.backward();
        if (options.GradClip > 0) nn.utils.clip_grad_norm_(session.Optimizer.Parameters, options.GradClip);
        session.Optimizer.Step(learningRate);
        foreach (var (name, value) in values) sums[name] = sums.GetValueOrDefault(name) + value * indices.Length;
    }

    /// <summary>Restores the last checkpoint with half the learning rate, or gives up after <see cref="MaxRollbacks"/>.</summary>
    TrainingState RollBack(Session session, DivergenceException divergence)
    {
        var restored = Checkpoint.Load(session.Run.LastCheckpointPath, session.Model, session.Optimizer);
        int rollbacks = restored.Rollbacks + 1;
        if (rollbacks > MaxRollbacks)
            throw new UserInputException(
                $"training keeps diverging ({divergence.Terms} non-finite at step {divergence.Step} after {MaxRollbacks} rollbacks to ever lower learning rates); lower --lr, pass --grad-clip 1, or check the data, then --resume");
        var state = restored with { Rollbacks = rollbacks, LearningRateScale = restored.LearningRateScale / 2 };
        MetricsLog.TruncateAfter(session.Run.MetricsPath, state.Epoch);
        Checkpoint.Save(session.Run.LastCheckpointPath, session.Model, session.Optimizer, state);
        Warn(session.Run, $"step {divergence.Step} (epoch {divergence.Epoch + 1}): {divergence.Terms} became non-finite; " +
                          $"rolled back to step {state.Step} and halved the learning rate (now ×{state.LearningRateScale:G3} of the schedule)");
        return state;
    }

    /// <summary>The objective on the validation split, with a fixed seed so that epochs are comparable.</summary>
    Dictionary<string, double> Validate(Autoencoder model, Dataset validation, long trainingExamples)
    {
        var sums = new Dictionary<string, double>();
        if (validation.Count == 0) return sums;
        model.eval();
        using (no_grad())
        {
            torch.manual_seed(Shuffle.Derive(options.Seed, ValidationStream));
            foreach (var batch in validation.Batches(Math.Max(options.BatchSize, 512)))
            {
                using var scope = NewDisposeScope();
                var loss = model.Loss(batch.to(torch.device(options.Device)), LossContext.Final(trainingExamples));
                long count = batch.shape[0];
                sums["loss"] = sums.GetValueOrDefault("loss") + loss.Total.item<float>() * count;
                foreach (var (term, value) in loss.Terms) sums[term.Name] = sums.GetValueOrDefault(term.Name) + value.item<float>() * count;
            }
        }
        model.train();
        return sums.ToDictionary(pair => pair.Key, pair => pair.Value / validation.Count);
    }

    void Warn(RunDirectory run, string message)
    {
        File.AppendAllText(run.File("train.log"), $"{DateTimeOffset.Now:O} warning: {message}\n");
        observer.OnWarning(message);
    }

    /// <summary>A loss term became NaN or infinite at a step.</summary>
    sealed class DivergenceException(long step, int epoch, string terms) : Exception($"{terms} non-finite at step {step}")
    {
        public long Step { get; } = step;
        public int Epoch { get; } = epoch;
        public string Terms { get; } = terms;
    }
}
