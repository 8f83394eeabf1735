// Anomaly scores, one per example, by what the model can do (higher is more anomalous):
//   every model: the reconstruction error, mean over the elements of (x̂ − x)² (the classic AE/PCA score;
//     e.g. Sakurada & Yairi 2014);
//   a VAE (IVariational): the negative ELBO, −log p(x|z) + KL(q(z|x) ‖ p(z)) with one draw z ~ q(z|x)
//     (An & Cho 2015 use the reconstruction probability; the ELBO is its evidence-bound form), and with
//     K importance samples the IWAE estimate of −log p(x) (Burda et al. 2016, eq. 8);
//   a model with discrete codes and a fitted prior (IDiscreteCodes): −log p(codes) under that prior.

using System.ComponentModel;
using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>Options of anomaly scoring (<c>latent score</c>, <c>latent eval --anomaly</c>).</summary>
public sealed record AnomalyScoreOptions
{
    /// <summary>False-positive rate at which each score's threshold is calibrated on the validation split (its (1 − fpr)-quantile).</summary>
    [Description("false-positive rate at which each score's threshold is calibrated on the validation split (its (1 − fpr)-quantile)")]
    public double Fpr { get; init; } = 0.01;

    /// <summary>Importance samples per example for an IWAE score of a VAE (0 skips it).</summary>
    [Description("importance samples per example for an IWAE score of a VAE (0 skips it)")]
    public int IwaeSamples { get; init; }

    /// <summary>Examples per forward pass.</summary>
    [Description("examples per forward pass")]
    public int BatchSize { get; init; } = Batched.DefaultBatchSize;

    /// <summary>Throws a <see cref="UserInputException"/> naming the first option out of its range.</summary>
    public void Validate()
    {
        if (!(Fpr > 0 && Fpr < 1)) throw new UserInputException($"{nameof(Fpr)} {Fpr} is out of range; pass a false-positive rate in (0, 1), e.g. 0.01", nameof(Fpr));
        if (IwaeSamples < 0) throw new UserInputException($"{nameof(IwaeSamples)} {IwaeSamples} must be 0 (off) or positive, e.g. 64", nameof(IwaeSamples));
        if (BatchSize <= 0) throw new UserInputException($"{nameof(BatchSize)} {BatchSize} must be positive", nameof(BatchSize));
    }
}

/// <summary>One anomaly score of every example of a split.</summary>
/// <param name="Name">The column name in <c>scores.csv</c> (<see cref="AnomalyScores.ReconstructionError"/>, ...).</param>
/// <param name="Meaning">What the score is, in one line.</param>
/// <param name="Values">One value per example, in the split's order; higher is more anomalous.</param>
public sealed record ScoreColumn(string Name, string Meaning, double[] Values);

/// <summary>The per-example anomaly scores a model offers, chosen by its capabilities.</summary>
public static class AnomalyScores
{
    /// <summary>Reconstruction error: mean squared error per element of each example.</summary>
    public const string ReconstructionError = "recon_mse";
    /// <summary>Negative ELBO of a VAE, nats per example, one posterior draw.</summary>
    public const string NegativeElbo = "neg_elbo";
    /// <summary>IWAE estimate of −log p(x) of a VAE, nats per example.</summary>
    public const string ImportanceWeighted = "iwae_nll";
    /// <summary>−log p(codes) of a VQ-VAE's codes under its fitted prior, nats per example.</summary>
    public const string CodeNegativeLogLikelihood = "code_nll";

    /// <summary>The names of the scores <paramref name="model"/> offers under <paramref name="options"/>, in column order.</summary>
    public static IReadOnlyList<string> Names(Autoencoder model, AnomalyScoreOptions options)
    {
        var names = new List<string> { ReconstructionError };
        if (model is IVariational)
        {
            names.Add(NegativeElbo);
            if (options.IwaeSamples > 0) names.Add(ImportanceWeighted);
        }
        if (model is IDiscreteCodes discrete && HasPrior(discrete)) names.Add(CodeNegativeLogLikelihood);
        return names;
    }

    /// <summary>
    /// Every score <paramref name="model"/> offers for every example of <paramref name="data"/>, in the order of
    /// <see cref="Names"/>: the reconstruction error always, the −ELBO (and the IWAE bound with
    /// <see cref="AnomalyScoreOptions.IwaeSamples"/>) for a VAE, the codes' −log-likelihood under a fitted prior.
    /// Draws come from fixed seeds, so the scores are reproducible; the −ELBO's mean is eval.json's test_neg_elbo_nats.
    /// </summary>
    public static IReadOnlyList<ScoreColumn> Compute(Autoencoder model, Dataset data, AnomalyScoreOptions options)
    {
        options.Validate();
        if (data.Shape.Kind == DataKind.Tokens)
            throw new UserInputException("anomaly scores are reconstruction errors of images or table rows, and this run holds text tokens; score a run on images or a table");
        if (options.IwaeSamples > 0 && model is not IVariational)
            throw new UserInputException($"{nameof(AnomalyScoreOptions.IwaeSamples)} applies to variational autoencoders, and this is a {model.GetName()} model; drop {nameof(AnomalyScoreOptions.IwaeSamples)}", nameof(AnomalyScoreOptions.IwaeSamples));
        model.eval();
        var columns = new List<ScoreColumn>
        {
            new(ReconstructionError, "mean squared error per element between the example and its reconstruction", ReconstructionErrors(model, data, options.BatchSize)),
        };
        if (model is IVariational variational)
        {
            columns.Add(new(NegativeElbo, "negative ELBO, −log p(x|z) + KL(q(z|x) ‖ p(z)) for one draw z ~ q(z|x), nats", NegativeElbos(variational, data, options.BatchSize)));
            if (options.IwaeSamples > 0)
                columns.Add(new(ImportanceWeighted, $"importance-weighted estimate of −log p(x) with {options.IwaeSamples} samples, nats", ImportanceWeightedNlls(variational, data, options)));
        }
        if (model is IDiscreteCodes discrete && CodeNlls(discrete, data, options.BatchSize) is double[] codeNlls)
            columns.Add(new(CodeNegativeLogLikelihood, "−log p(codes) of the example's discrete codes under the model's fitted prior, nats", codeNlls));
        foreach (var column in columns)
            if (column.Values.Any(value => !double.IsFinite(value)))
                throw new UserInputException($"the model gives a non-finite {column.Name} score for some examples (its weights or the data hold NaN or infinite values); retrain the run or check the data");
        return columns;
    }

    /// <summary>Mean squared error per element of each example and its reconstruction: [N]. Its mean is <see cref="Evaluator.ReconstructionError"/>.</summary>
    public static double[] ReconstructionErrors(Autoencoder model, Dataset data, int batchSize = Batched.DefaultBatchSize)
    {
        using var noGrad = no_grad();
        var errors = new List<double>(data.Count);
        foreach (var batch in Batched.WithLabels(model as Autoencoder, data, batchSize))
        {
            using var scope = NewDisposeScope();
            // [B, ...shape] -> [B, F] -> [B]
            var squared = (model.Reconstruct(batch) - batch).square().reshape(batch.shape[0], -1);
            errors.AddRange(squared.mean([1]).to(ScalarType.Float64).data<double>().ToArray());
        }
        return [.. errors];
    }

    /// <summary>
    /// −ELBO of each example with one reparameterised draw, [N] nats, of the data as the likelihood observes them
    /// (<see cref="IVariational.Observed"/>: binarised once, seeded, for a model trained on binarised pixels). The noise follows
    /// <see cref="VariationalEstimates.Measure"/> draw for draw (same seed, one draw per batch of the same size),
    /// so the mean is eval.json's <c>test_neg_elbo_nats</c>.
    /// </summary>
    public static double[] NegativeElbos(IVariational model, Dataset data, int batchSize = Batched.DefaultBatchSize)
    {
        using var noGrad = no_grad();
        data = model.Observed(data);
        manual_seed(VariationalEstimates.EvaluationSeed);
        var values = new List<double>(data.Count);
        foreach (var batch in Batched.WithLabels(model as Autoencoder, data, batchSize))
        {
            using var scope = NewDisposeScope();
            var posterior = model.Infer(batch);
            var z = model.Draw(posterior, randn_like(posterior.Mean));
            var reconstruction = -model.LogLikelihood(model.DecoderOutput(z), batch);  // [B]
            var kl = model.KlPerDimension(posterior).sum([1]);                          // [B, D] -> [B]
            values.AddRange((reconstruction + kl).to(ScalarType.Float64).data<double>().ToArray());
        }
        return [.. values];
    }

    /// <summary>
    /// The IWAE estimate of −log p(x) of each example with <see cref="AnomalyScoreOptions.IwaeSamples"/> draws, [N] nats, of the
    /// data as <see cref="IVariational.Observed"/> gives them.
    /// The draws continue torch's generator as it stands: <see cref="Compute"/> calls this right after
    /// <see cref="NegativeElbos"/>, as <see cref="VariationalEstimates.Evaluate"/> draws the IWAE samples right after
    /// the ELBO's, so that the mean is eval.json's <c>iwae_nll_nats</c>.
    /// </summary>
    public static double[] ImportanceWeightedNlls(IVariational model, Dataset data, AnomalyScoreOptions options)
    {
        data = model.Observed(data);
        var values = new List<double>(data.Count);
        foreach (var batch in Batched.WithLabels(model as Autoencoder, data, options.BatchSize))
        {
            using var logLikelihood = VariationalEstimates.ImportanceWeightedLogLikelihood(model, batch, options.IwaeSamples);
            values.AddRange(logLikelihood.neg().to(ScalarType.Float64).data<double>().ToArray());
        }
        return [.. values];
    }

    /// <summary>−log p(codes) of each example under the model's prior, [N] nats; null while no prior is fitted.</summary>
    public static double[]? CodeNlls(IDiscreteCodes model, Dataset data, int batchSize = Batched.DefaultBatchSize)
    {
        using var noGrad = no_grad();
        using var codes = DiscreteCodes.Of(model, data, batchSize);
        using var logLikelihood = model.CodeLogLikelihood(codes);
        return logLikelihood?.neg().to(ScalarType.Float64).data<double>().ToArray();
    }

    static bool HasPrior(IDiscreteCodes model)
    {
        using var noGrad = no_grad();
        using var codes = zeros(1, model.Positions, model.Heads, ScalarType.Int64);
        using var logLikelihood = model.CodeLogLikelihood(codes);
        return logLikelihood is not null;
    }
}
