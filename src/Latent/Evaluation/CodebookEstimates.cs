// Estimators for models with discrete codes (IDiscreteCodes): codebook health (usage, perplexity, dead
// codes; as in vector-quantize-pytorch and the VQ-VAE literature), the rate in bits, the rate an entropy
// coder driven by the model's prior would reach, and PCA at the same rate (the linear baseline).

using Latent.Data;
using Latent.Models;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>Codebook health from code counts [L, K]: the fraction of codes used, the perplexity and the dead codes.</summary>
/// <param name="Usage">Fraction of the L·K codes chosen at least once.</param>
/// <param name="Perplexity">exp(entropy) of the code frequencies, averaged over heads: K when every code is equally used, 1 when one code is.</param>
/// <param name="DeadCodes">Codes never chosen, over all heads.</param>
public sealed record CodebookHealth(double Usage, double Perplexity, long DeadCodes)
{
    /// <summary>Usage, perplexity and dead codes of code counts.</summary>
    /// <param name="counts">For each head, how often each of its K codes was chosen: [heads][K].</param>
    public static CodebookHealth Measure(long[][] counts)
    {
        long used = counts.Sum(head => head.LongCount(count => count > 0));
        long all = counts.Sum(head => (long)head.Length);
        double perplexity = counts.Average(head =>
        {
            double total = head.Sum();
            if (total == 0) return 0;
            double entropy = head.Where(count => count > 0).Sum(count => -count / total * Math.Log(count / total));
            return Math.Exp(entropy);
        });
        return new CodebookHealth((double)used / all, perplexity, all - used);
    }
}

/// <summary>The figures of a model with discrete codes: per epoch on the validation split, and in <c>eval.json</c>.</summary>
public static class CodebookEstimates
{
    /// <summary>The figure <c>codebook_usage</c>: fraction of codebook entries chosen at least once on the split (test in eval.json, validation per epoch).</summary>
    public static readonly MetricKey Usage = new("codebook_usage", "fraction of codebook entries chosen at least once on the split (test in eval.json, validation per epoch)");
    /// <summary>The figure <c>codebook_perplexity</c>: exp of the entropy of code usage on the split, averaged over heads (the effective number of codes).</summary>
    public static readonly MetricKey Perplexity = new("codebook_perplexity", "exp of the entropy of code usage on the split, averaged over heads (the effective number of codes)");
    /// <summary>The figure <c>dead_codes</c>: codebook entries never chosen on the validation split, over all heads.</summary>
    public static readonly MetricKey DeadCodes = new("dead_codes", "codebook entries never chosen on the validation split, over all heads");
    /// <summary>The figure <c>bits_per_example</c>: bits to store one example's discrete codes (what latent encode <c>Out</c> FILE.vq stores per example).</summary>
    public static readonly MetricKey Bits = new("bits_per_example", "bits to store one example's discrete codes (what latent encode --out FILE.vq stores per example)");
    /// <summary>The figure <c>prior_bits_per_example</c>: −log2 p(codes) under the fitted prior: the size an entropy coder driven by it would reach.</summary>
    public static readonly MetricKey PriorBits = new("prior_bits_per_example", "−log2 p(codes) under the fitted prior: the size an entropy coder driven by it would reach");
    /// <summary>The figure <c>pca_components_same_bits</c>: PCA components that fit into bits_per_example as float16 coordinates.</summary>
    public static readonly MetricKey PcaComponents = new("pca_components_same_bits", "PCA components that fit into bits_per_example as float16 coordinates");
    /// <summary>The figure <c>pca_mse_same_bits</c>: test reconstruction error of that PCA, fitted on the training split: the linear baseline at the same rate.</summary>
    public static readonly MetricKey PcaMse = new("pca_mse_same_bits", "test reconstruction error of that PCA, fitted on the training split: the linear baseline at the same rate");
    /// <summary>The figure <c>codebook_usage_stage_{j}</c>: residual quantizers: fraction of the codes of stage j (1 = the coarsest) chosen at least once on the split.</summary>
    public static readonly MetricKey StageUsage = new("codebook_usage_stage_{j}", "residual quantizers: fraction of the codes of stage j (1 = the coarsest) chosen at least once on the split");
    /// <summary>The figure <c>codebook_perplexity_stage_{j}</c>: residual quantizers: codebook_perplexity of stage j alone.</summary>
    public static readonly MetricKey StagePerplexity = new("codebook_perplexity_stage_{j}", "residual quantizers: codebook_perplexity of stage j alone");
    /// <summary>The figure <c>test_mse_stages_{j}</c>: residual quantizers: test_mse when only the first j stages' codes are decoded.</summary>
    public static readonly MetricKey StagesMse = new("test_mse_stages_{j}", "residual quantizers: test_mse when only the first j stages' codes are decoded");

    /// <summary>Bits of one float16 coordinate: how a continuous code is stored for the comparison at the same rate.</summary>
    public const int ContinuousCoordinateBits = 16;

    /// <summary>Codes [N, P, L] → how often each code of each head occurs: [L, K] counts.</summary>
    public static long[][] Count(IDiscreteCodes model, Tensor codes)
    {
        using var scope = NewDisposeScope();
        int heads = model.Heads, size = model.CodebookSize;
        // head h's codes are counted at h·K + c
        var offsets = arange(heads, ScalarType.Int64, codes.device).mul_(size);
        var flat = (codes + offsets).reshape(-1).bincount(null, (long)heads * size).cpu().data<long>().ToArray();
        return Enumerable.Range(0, heads).Select(head => flat.AsSpan(head * size, size).ToArray()).ToArray();
    }

    /// <summary>How often each code of each head is chosen on <paramref name="data"/>: [L, K] counts.</summary>
    public static long[][] Count(IDiscreteCodes model, Dataset data, int batchSize = 500)
    {
        using var codes = DiscreteCodes.Of(model, data, batchSize);
        return Count(model, codes);
    }

    /// <summary>Per epoch: usage, perplexity and dead codes on the validation split, and a warning when under half the codes are used.</summary>
    public static Diagnosis Diagnose(IDiscreteCodes model, Dataset validation)
    {
        if (validation.Count == 0) return Diagnosis.None;
        var health = CodebookHealth.Measure(Count(model, validation));
        var figures = new Dictionary<string, double>
        {
            [Usage.Name] = health.Usage,
            [Perplexity.Name] = health.Perplexity,
            [DeadCodes.Name] = health.DeadCodes,
        };
        var warnings = new List<string>();
        if (health.Usage < 0.5)
        {
            string fix = model.Space.Quantizer is QuantizerKind.Vq or QuantizerKind.Rvq
                ? "pass --restart-after 20 (or lower) to re-seed unused codes, or a smaller --codebook-size"
                : "pass a smaller --codebook-size" + (model.Space.Quantizer == QuantizerKind.Lfq ? " or a larger --batch-entropy-weight" : "");
            warnings.Add($"only {health.Usage:P0} of the codes are used on the validation set ({health.DeadCodes} dead, perplexity {health.Perplexity:F1}); {fix}");
        }
        foreach (var (key, value) in PerStage(model, Count(model, validation))) figures[key] = value;
        return new Diagnosis(figures, warnings);
    }

    /// <summary>
    /// <c>eval.json</c> on the test split: usage, perplexity, bits per example, the prior's bits where it
    /// is fitted, and PCA at the same rate (when the training split is at hand).
    /// </summary>
    public static Dictionary<string, double> Evaluate(IDiscreteCodes model, Dataset test, EvaluationOptions options)
    {
        using var codes = DiscreteCodes.Of(model, test, options.BatchSize);
        var counts = Count(model, codes);
        var health = CodebookHealth.Measure(counts);
        var figures = new Dictionary<string, double>
        {
            [Usage.Name] = health.Usage,
            [Perplexity.Name] = health.Perplexity,
            [Bits.Name] = model.BitsPerExample,
        };
        foreach (var (key, value) in PerStage(model, counts)) figures[key] = value;
        foreach (var (key, value) in PrefixErrors(model, codes, test, options.BatchSize)) figures[key] = value;
        using (var logLikelihood = model.CodeLogLikelihood(codes))
            if (logLikelihood is not null && codes.shape[0] > 0)
                figures[PriorBits.Name] = -logLikelihood.mean().item<double>() / Math.Log(2);
        foreach (var (key, value) in PcaAtTheSameRate(model, test, options)) figures[key] = value;
        return figures;
    }

    /// <summary>Usage and perplexity of each stage of a residual quantizer from counts [S·L, K] (stage s holds rows s·L … s·L + L − 1); none for one stage.</summary>
    static Dictionary<string, double> PerStage(IDiscreteCodes model, long[][] counts)
    {
        var figures = new Dictionary<string, double>();
        int stages = model.Space.Stages, heads = model.Space.Heads;
        if (stages == 1) return figures;
        for (int stage = 0; stage < stages; stage++)
        {
            var health = CodebookHealth.Measure(counts.Skip(stage * heads).Take(heads).ToArray());
            figures[StageUsage.For(stage + 1)] = health.Usage;
            figures[StagePerplexity.For(stage + 1)] = health.Perplexity;
        }
        return figures;
    }

    /// <summary>A residual quantizer's test MSE decoded from the first j stages only, for every j; none for one stage.</summary>
    static Dictionary<string, double> PrefixErrors(IDiscreteCodes model, Tensor codes, Dataset test, int batchSize)
    {
        var figures = new Dictionary<string, double>();
        if (model.Space.Stages == 1 || test.Count == 0) return figures;
        using var noGrad = no_grad();
        for (int stages = 1; stages <= model.Space.Stages; stages++)
        {
            double sum = 0;
            long start = 0;
            foreach (var batch in test.Batches(batchSize))
            {
                using var scope = NewDisposeScope();
                var decoded = model.DecodeCodes(codes.narrow(0, start, batch.shape[0]), stages);
                sum += (decoded - batch).square().sum().item<float>();
                start += batch.shape[0];
            }
            figures[StagesMse.For(stages)] = sum / ((double)test.Count * test.Shape.Size);
        }
        return figures;
    }

    /// <summary>
    /// The linear baseline at the same rate: PCA fitted on the training split with as many components
    /// as float16 coordinates fit into <see cref="IDiscreteCodes.BitsPerExample"/>, and its test MSE (rounding its
    /// codes to float16 changes that MSE only in the 7th digit). Empty without a training split.
    /// </summary>
    static Dictionary<string, double> PcaAtTheSameRate(IDiscreteCodes model, Dataset test, EvaluationOptions options)
    {
        var figures = new Dictionary<string, double>();
        if (options.TrainingSplit is null) return figures;
        var train = options.TrainingSplit.Value;
        int components = (int)Math.Min(model.BitsPerExample / ContinuousCoordinateBits, Math.Min(train.Count, train.Shape.Size));
        if (components < 1) return figures;
        using var pca = PcaModel.Fitted(train, components);
        figures[PcaComponents.Name] = components;
        figures[PcaMse.Name] = Evaluator.ReconstructionError(pca, test, options.BatchSize);
        return figures;
    }
}
