using System.ComponentModel;
using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>Options of <c>latent eval</c>.</summary>
public sealed record EvaluationOptions
{
    [Description("importance samples per test example for the IWAE estimate of −log p(x) (0 skips it)")]
    public int IwaeSamples { get; init; }

    [Description("also fit a linear probe and k-NN on frozen representations of the training split")]
    public bool Probe { get; init; }

    [Description("also fit the probes on the raw features (pixels), the baseline for --probe")]
    public bool ProbeRaw { get; init; }

    [Description("examples per forward pass")]
    public int BatchSize { get; init; } = 500;

    [Description("also score the codes against the data's generative factors (shapes): mig, dci_*, sap; writes disentanglement.json and disentanglement-codes.csv")]
    public bool Disentanglement { get; init; }

    [Description("also score generated samples against the test split: Fréchet distance, k-NN precision and recall (--sampler for models without a prior)")]
    public bool SampleQuality { get; init; }

    [Description("with --sample-quality, also score the baselines: two halves of the test split, its images with shuffled pixels, uniform noise")]
    public bool SampleBaselines { get; init; }

    /// <summary>
    /// The run's training split, loaded on first use, for figures that are fitted on it (the probes,
    /// <c>pca_optimum_mse</c>, <c>principal_angle_max_deg</c>); null where it is not at hand.
    /// Not a command-line option.
    /// </summary>
    public Lazy<Dataset>? TrainingSplit { get; init; }

    public void Validate()
    {
        if (IwaeSamples < 0) throw new UserInputException($"--iwae-samples {IwaeSamples} must be 0 (off) or positive, e.g. 64");
        if (BatchSize <= 0) throw new UserInputException($"--batch-size {BatchSize} must be positive");
        if (SampleBaselines && !SampleQuality) throw new UserInputException("--sample-baselines goes with --sample-quality; add --sample-quality or drop it");
    }
}

/// <summary>
/// The figures of <c>eval.json</c> on the test split: reconstruction error for every family, then
/// whatever the family adds (SPEC §4 lists the keys).
/// </summary>
public static class Evaluator
{
    /// <summary>The figures of <c>eval.json</c>; the probes (options.Probe, options.ProbeRaw) also need options.TrainingSplit.</summary>
    public static SortedDictionary<string, double> Evaluate(Autoencoder model, Dataset test, EvaluationOptions options)
    {
        options.Validate();
        model.eval();
        var figures = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (test.Shape.Kind != DataKind.Tokens)
        {
            double mse = ReconstructionError(model, test, options.BatchSize);
            figures["test_mse"] = mse;
            // PSNR for data on the [0, 1] scale: 10·log10(peak² / MSE) with peak 1, from the pooled MSE.
            if (test.Shape.IsUnitRange) figures["test_psnr_db"] = 10 * Math.Log10(1 / mse);
        }
        foreach (var (key, value) in model.Evaluate(test, options)) figures[key] = value;
        if (options.Probe || options.ProbeRaw)
        {
            var train = options.TrainingSplit?.Value
                ?? throw new ArgumentException("the probes are fitted on the training split: set EvaluationOptions.TrainingSplit", nameof(options));
            if (options.Probe) foreach (var (key, value) in Probes.Evaluate(model, train, test, options.BatchSize)) figures[key] = value;
            if (options.ProbeRaw) foreach (var (key, value) in Probes.EvaluateRaw(train, test)) figures[key] = value;
        }
        return figures;
    }

    /// <summary>Mean squared error per element between the test examples and their reconstructions.</summary>
    public static double ReconstructionError(Autoencoder model, Dataset data, int batchSize = 500)
    {
        double sum = 0;
        using var noGrad = no_grad();
        foreach (var batch in data.Batches(batchSize))
        {
            using var scope = NewDisposeScope();
            sum += (model.Reconstruct(batch) - batch).square().sum().item<float>();
        }
        return sum / ((double)data.Count * data.Shape.Size);
    }

    /// <summary>Representations of all examples, [N, D], computed in batches without gradients.</summary>
    public static Tensor EncodeAll(Autoencoder model, Dataset data, int batchSize = 500)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        foreach (var batch in data.Batches(batchSize))
        {
            // One scope per batch: a deep encoder's intermediates would otherwise wait for the GC (tens of GB over 60k images).
            using var scope = NewDisposeScope();
            parts.Add(model.Encode(batch).MoveToOuterDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }

    /// <summary>
    /// <paramref name="decode"/> applied to <paramref name="rows"/> in batches, one dispose scope per
    /// batch so that only the outputs stay alive, concatenated: [N, ...] → [N, ...output].
    /// </summary>
    public static Tensor DecodeAll(Func<Tensor, Tensor> decode, Tensor rows, int batchSize = 500)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < rows.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            parts.Add(decode(rows.narrow(0, start, Math.Min(batchSize, rows.shape[0] - start))).MoveToOuterDisposeScope());
        }
        try
        {
            return parts.Count == 0 ? decode(rows) : cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}
