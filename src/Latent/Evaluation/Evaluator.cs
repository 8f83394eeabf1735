using System.ComponentModel;
using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>Options of <c>latent eval</c>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Importance samples per test example for the IWAE estimate of −log p(x) (0 skips it).</summary>
    [Description("importance samples per test example for the IWAE estimate of −log p(x) (0 skips it)")]
    public int IwaeSamples { get; init; }

    /// <summary>Also fit a linear probe and k-NN on frozen representations of the training split (and check a label-conditioned model's samples per label).</summary>
    [Description("also fit a linear probe and k-NN on frozen representations of the training split (and, for a model conditioned on labels, check its samples per label with a probe on the raw training examples)")]
    public bool Probe { get; init; }

    /// <summary>Also fit the probes on the raw features (pixels), the baseline for <see cref="Probe"/>.</summary>
    [Description("also fit the probes on the raw features (pixels), the baseline for --probe")]
    public bool ProbeRaw { get; init; }

    /// <summary>Treat test examples of labels the run was not trained on (<c>Classes</c>) as anomalies: AUROC, AUPRC and detection rate per score, and their figures.</summary>
    [Description("treat test examples of labels the run was not trained on (--classes) as anomalies: AUROC, AUPRC and detection rate per score, and their figures")]
    public bool Anomaly { get; init; }

    /// <summary>With <see cref="Anomaly"/>: the false-positive rate on the validation split at which the thresholds are calibrated.</summary>
    [Description("with --anomaly: the false-positive rate on the validation split at which the thresholds are calibrated")]
    public double Fpr { get; init; } = new AnomalyScoreOptions().Fpr;

    /// <summary>Examples per forward pass.</summary>
    [Description("examples per forward pass")]
    public int BatchSize { get; init; } = 500;

    /// <summary>Also score the codes against the data's generative factors (shapes): mig, dci_*, sap; writes disentanglement.json and disentanglement-codes.csv.</summary>
    [Description("also score the codes against the data's generative factors (shapes): mig, dci_*, sap; writes disentanglement.json and disentanglement-codes.csv")]
    public bool Disentanglement { get; init; }

    /// <summary>Also score generated samples against the test split: Fréchet distance, k-NN precision and recall (<c>Sampler</c> for models without a prior).</summary>
    [Description("also score generated samples against the test split: Fréchet distance, k-NN precision and recall (--sampler for models without a prior)")]
    public bool SampleQuality { get; init; }

    /// <summary>With <see cref="SampleQuality"/>, also score the baselines: two halves of the test split, its images with shuffled pixels, uniform noise.</summary>
    [Description("with --sample-quality, also score the baselines: two halves of the test split, its images with shuffled pixels, uniform noise")]
    public bool SampleBaselines { get; init; }

    /// <summary>
    /// The run's training split, loaded on first use, for figures that are fitted on it (the probes,
    /// <c>pca_optimum_mse</c>, <c>principal_angle_max_deg</c>); null where it is not at hand.
    /// Not a command-line option.
    /// </summary>
    public Lazy<Dataset>? TrainingSplit { get; init; }

    /// <summary>Throws a <see cref="UserInputException"/> naming the first option out of its range, or one given without the option it goes with.</summary>
    public void Validate()
    {
        if (IwaeSamples < 0) throw new UserInputException($"{nameof(IwaeSamples)} {IwaeSamples} must be 0 (off) or positive, e.g. 64", nameof(IwaeSamples));
        if (BatchSize <= 0) throw new UserInputException($"{nameof(BatchSize)} {BatchSize} must be positive", nameof(BatchSize));
        if (!Anomaly && Fpr != new AnomalyScoreOptions().Fpr) throw new UserInputException($"{nameof(Fpr)} calibrates the thresholds of {nameof(Anomaly)}; add {nameof(Anomaly)} or drop {nameof(Fpr)}", nameof(Fpr), nameof(Anomaly));
        if (Anomaly) Scoring.Validate();
        if (SampleBaselines && !SampleQuality) throw new UserInputException($"{nameof(SampleBaselines)} goes with {nameof(SampleQuality)}; add {nameof(SampleQuality)} or drop it", nameof(SampleBaselines), nameof(SampleQuality));
    }

    /// <summary>The options of the anomaly scores that <see cref="Anomaly"/> asks for.</summary>
    public AnomalyScoreOptions Scoring => new() { Fpr = Fpr, IwaeSamples = IwaeSamples, BatchSize = BatchSize };
}

/// <summary>
/// The figures of <c>eval.json</c> on the test split: reconstruction error for every family, then the
/// estimators that apply to what the model is (its capabilities), then the probes when asked for.
/// </summary>
public static class Evaluator
{
    /// <summary>The figure <c>test_mse</c>: mean squared error per element between test examples and their reconstructions ([0, 1] scale for images).</summary>
    public static readonly MetricKey TestMse = new("test_mse", "mean squared error per element between test examples and their reconstructions ([0, 1] scale for images)");
    /// <summary>The figure <c>test_psnr_db</c>: peak signal-to-noise ratio of the reconstructions, 10·log10(1 / test_mse), in dB.</summary>
    public static readonly MetricKey TestPsnr = new("test_psnr_db", "peak signal-to-noise ratio of the reconstructions, 10·log10(1 / test_mse), in dB");

    /// <summary>The figures of <c>eval.json</c>; the probes (options.Probe, options.ProbeRaw) also need options.TrainingSplit.</summary>
    public static SortedDictionary<string, double> Evaluate(Autoencoder model, Dataset test, EvaluationOptions options)
    {
        options.Validate();
        if (options.IwaeSamples > 0 && model is not IVariational)
            throw new UserInputException($"{nameof(EvaluationOptions.IwaeSamples)} applies to variational autoencoders, and this is a {model.GetName()} model; drop {nameof(EvaluationOptions.IwaeSamples)}", nameof(EvaluationOptions.IwaeSamples));
        model.eval();
        var figures = new SortedDictionary<string, double>(StringComparer.Ordinal);
        void Add(IReadOnlyDictionary<string, double> more)
        {
            foreach (var (key, value) in more) figures[key] = value;
        }
        if (test.Shape.Kind != DataKind.Tokens)
        {
            double mse = ReconstructionError(model, test, options.BatchSize);
            figures[TestMse.Name] = mse;
            // PSNR for data on the [0, 1] scale: 10·log10(peak² / MSE) with peak 1, from the pooled MSE.
            if (test.Shape.IsUnitRange) figures[TestPsnr.Name] = 10 * Math.Log10(1 / mse);
        }
        Add(TableError.Evaluate(model, test, options));
        if (model is IVariational variational) Add(VariationalEstimates.Evaluate(variational, test, options));
        if (model is IDiscreteCodes discrete) Add(CodebookEstimates.Evaluate(discrete, test, options));
        if (model is ILinearCode linear) Add(PrincipalSubspace.Compare(linear.DecoderColumns, test, options));
        if (model is ICorrupting corrupting) Add(RestorationEstimates.Evaluate(corrupting, test, options));
        if (options.Probe || options.ProbeRaw)
        {
            var train = options.TrainingSplit?.Value
                ?? throw new ArgumentException("the probes are fitted on the training split: set EvaluationOptions.TrainingSplit", nameof(options));
            if (options.Probe) Add(Probes.Evaluate(model, train, test, options.BatchSize));
            if (options.ProbeRaw) Add(Probes.EvaluateRaw(train, test));
            if (options.Probe) Add(ConditionalSamples.Evaluate(model, train));
        }
        return figures;
    }

    /// <summary>
    /// The figures a model reports about itself after every epoch, on the validation split (codebook
    /// usage, active units, ...), with warnings worth a user's attention. One per training session:
    /// it remembers what it last warned about, so that a warning is repeated only when it changes.
    /// </summary>
    public sealed class EpochDiagnostics(Autoencoder model)
    {
        int _collapsedAtLastWarning;

        /// <summary>The diagnostics of the model on <paramref name="validation"/> that go into one epoch's line of metrics.jsonl (e.g. a VAE's active units, a VQ-VAE's codebook usage), with a warning when one shows a failure (posterior collapse, dead codes).</summary>
        public Diagnosis Diagnose(Dataset validation)
        {
            if (validation.Count == 0) return Diagnosis.None;
            var figures = new Dictionary<string, double>();
            var warnings = new List<string>();
            if (model is IDiscreteCodes discrete)
            {
                var codebooks = CodebookEstimates.Diagnose(discrete, validation);
                foreach (var (key, value) in codebooks.Figures) figures[key] = value;
                warnings.AddRange(codebooks.Warnings);
            }
            if (model is IVariational variational)
            {
                var measured = VariationalEstimates.Measure(variational, validation);
                foreach (var (key, value) in VariationalEstimates.UnitFigures(measured)) figures[key] = value;
                int collapsed = measured.CollapsedUnits.Length;
                if (collapsed != _collapsedAtLastWarning && VariationalEstimates.CollapseWarning(measured, variational.CollapseCures) is string warning) warnings.Add(warning);
                _collapsedAtLastWarning = collapsed;
            }
            return new Diagnosis(figures, warnings);
        }
    }

    /// <summary>Mean squared error per element between the test examples and their reconstructions.</summary>
    public static double ReconstructionError(Autoencoder model, Dataset data, int batchSize = 500)
    {
        double sum = 0;
        using var noGrad = no_grad();
        foreach (var batch in Batched.WithLabels(model, data, batchSize))
        {
            using var scope = NewDisposeScope();
            sum += (model.Reconstruct(batch) - batch).square().sum().item<float>();
        }
        return sum / ((double)data.Count * data.Shape.Size);
    }
}
