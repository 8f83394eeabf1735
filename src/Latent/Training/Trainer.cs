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
/// </summary>
public sealed class Trainer(TrainingOptions options, ITrainingObserver observer)
{
    const long ValidationStream = -1;

    public TrainingState Fit(Autoencoder model, DataSplits data, RunDirectory run, bool resume)
    {
        var device = torch.device(options.Device);
        model.to(device);
        using var optimizer = new Adam(model.named_parameters(), options.WeightDecay, options.Optimizer == OptimizerKind.AdamW);
        var state = resume ? Checkpoint.Load(run.LastCheckpointPath, model, optimizer) : new TrainingState();
        if (resume) MetricsLog.TruncateAfter(run.MetricsPath, state.Epoch);

        int stepsPerEpoch = (data.Train.Count + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = (long)stepsPerEpoch * options.Epochs;
        var clock = Stopwatch.StartNew();
        long stepsThisSession = 0;

        for (int epoch = state.Epoch; epoch < options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var order = Shuffle.Permutation(data.Train.Count, Shuffle.Derive(options.Seed, epoch));
            var sums = new Dictionary<string, double>(state.TermSums);
            long examples = state.ExamplesInEpoch;
            model.train();

            for (int batch = state.BatchInEpoch; batch < stepsPerEpoch; batch++)
            {
                long step = state.Step;
                int start = batch * options.BatchSize, count = Math.Min(options.BatchSize, order.Length - start);
                double learningRate = options.LearningRate(step, totalSteps);
                using (var scope = NewDisposeScope())
                {
                    torch.manual_seed(Shuffle.Derive(options.Seed, step));
                    using var index = tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray());
                    var x = data.Train.Features.index_select(0, index).to(device);

                    optimizer.ZeroGrad();
                    var loss = model.Loss(x, new TrainingStep(epoch, step, stepsPerEpoch));
                    double total = loss.Total.item<float>();
                    if (!double.IsFinite(total)) throw Diverged(loss, step, epoch);
                    loss.Total.backward();
                    if (options.GradClip > 0) nn.utils.clip_grad_norm_(optimizer.Parameters, options.GradClip);
                    optimizer.Step(learningRate);

                    Accumulate(sums, "loss", total, count);
                    foreach (var (name, value) in loss.Terms) Accumulate(sums, name, value.item<float>(), count);
                }
                examples += count;
                stepsThisSession++;
                state = state with { BatchInEpoch = batch + 1, Step = step + 1, TermSums = sums, ExamplesInEpoch = examples };

                double perSecond = stepsThisSession * options.BatchSize / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                long stepsLeft = totalSteps - state.Step;
                observer.OnProgress(new TrainingProgress(epoch, options.Epochs, batch + 1, stepsPerEpoch, state.Step,
                    sums["loss"] / examples, perSecond, TimeSpan.FromSeconds(stepsLeft * options.BatchSize / Math.Max(1e-9, perSecond))));
                if (options.CheckpointEvery > 0 && state.Step % options.CheckpointEvery == 0 && batch + 1 < stepsPerEpoch)
                    Checkpoint.Save(run.LastCheckpointPath, model, optimizer, state);
            }

            var values = sums.ToDictionary(pair => "train_" + pair.Key, pair => pair.Value / examples);
            var validation = Validate(model, data.Validation, device);
            foreach (var (name, value) in validation) values["val_" + name] = value;
            var diagnosis = model.Diagnose(data.Validation);
            foreach (var (name, value) in diagnosis.Figures) values[name] = value;
            values["lr"] = options.LearningRate(state.Step - 1, totalSteps);
            values["seconds"] = epochClock.Elapsed.TotalSeconds;

            double judged = validation.TryGetValue("loss", out var validationLoss) ? validationLoss : values["train_loss"];
            bool isBest = judged < state.BestValidationLoss || data.Validation.Count == 0;
            state = new TrainingState
            {
                Epoch = epoch + 1, Step = state.Step,
                BestValidationLoss = isBest ? judged : state.BestValidationLoss, BestEpoch = isBest ? epoch + 1 : state.BestEpoch,
            };

            MetricsLog.Append(run.MetricsPath, epoch + 1, state.Step, values);
            foreach (var warning in diagnosis.Warnings) Warn(run, $"epoch {epoch + 1}: {warning}");
            if (isBest) run.SaveModel(model);
            Checkpoint.Save(run.LastCheckpointPath, model, optimizer, state);
            observer.OnEpoch(new EpochMetrics(epoch + 1, state.Step, values, isBest));
        }
        return state;
    }

    /// <summary>The objective on the validation split, with a fixed seed so that epochs are comparable.</summary>
    Dictionary<string, double> Validate(Autoencoder model, Dataset validation, Device device)
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
                var loss = model.Loss(batch.to(device), TrainingStep.Final);
                Accumulate(sums, "loss", loss.Total.item<float>(), batch.shape[0]);
                foreach (var (name, value) in loss.Terms) Accumulate(sums, name, value.item<float>(), batch.shape[0]);
            }
        }
        model.train();
        return sums.ToDictionary(pair => pair.Key, pair => pair.Value / validation.Count);
    }

    static void Accumulate(Dictionary<string, double> sums, string name, double value, long count) =>
        sums[name] = sums.GetValueOrDefault(name) + value * count;

    void Warn(RunDirectory run, string message)
    {
        File.AppendAllText(run.File("train.log"), $"{DateTimeOffset.Now:O} warning: {message}\n");
        observer.OnWarning(message);
    }

    static UserInputException Diverged(LossTerms loss, long step, int epoch)
    {
        var bad = loss.Terms.Where(term => !float.IsFinite(term.Value.item<float>())).Select(term => term.Name).DefaultIfEmpty("loss");
        return new UserInputException(
            $"training diverged at step {step} (epoch {epoch + 1}): {string.Join(", ", bad)} became non-finite; lower --lr or pass --grad-clip 1, then --resume");
    }
}
