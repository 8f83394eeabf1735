// Estimators for variational autoencoders (any IVariational model):
//   the negative ELBO, −E_q[log p(x|z)] + KL(q(z|x) ‖ p(z)), with one draw per example (Kingma & Welling 2014);
//   the importance-weighted bound log (1/K) Σₖ p(x|zₖ)p(zₖ)/q(zₖ|x) (Burda, Grosse & Salakhutdinov 2016, eq. 8);
//   active units: A_u = Cov_x(E_q[z_u]) > 0.01 (Burda et al. 2016, §5.2); every other unit is collapsed.
// What the nats are depends on the likelihood (IVariational.Quantity, recorded as likelihood_quantity): a negative
// log-likelihood of binarised or of 8-bit data, a Gaussian density, or, for the Bernoulli on grey levels, a
// cross-entropy that is no density of the data. Bits per dimension are nats / (D·ln 2), D the elements of an example
// (the unit of the PixelCNN and VQ-VAE papers).

using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>What one pass of a VAE over a data set measures.</summary>
/// <param name="KlPerDimension">KL of each latent dimension, averaged over the examples, nats.</param>
/// <param name="Activity">A_u, the variance across the examples of each dimension's posterior mean.</param>
/// <param name="Reconstruction">−log p(x|z) for one draw z ~ q(z|x), averaged over the examples, nats.</param>
public sealed record VariationalMeasurements(double[] KlPerDimension, double[] Activity, double Reconstruction)
{
    /// <summary>A unit is active when its activity exceeds this (Burda et al. 2016, §5.2), collapsed otherwise.</summary>
    public const double ActiveUnitThreshold = 0.01;

    /// <summary>KL(q(z|x) ‖ p(z)) per example, summed over the dimensions.</summary>
    public double Kl => KlPerDimension.Sum();

    /// <summary>The dimensions whose activity exceeds <see cref="ActiveUnitThreshold"/>.</summary>
    public int ActiveUnits => Activity.Count(value => value > ActiveUnitThreshold);

    /// <summary>The dimensions that are not active: the posterior mean ignores the input.</summary>
    public int[] CollapsedUnits => Enumerable.Range(0, Activity.Length).Where(j => !(Activity[j] > ActiveUnitThreshold)).ToArray();
}

/// <summary>The figures of a VAE: per epoch on the validation split, and in <c>eval.json</c> on the test split.</summary>
public static class VariationalEstimates
{
    /// <summary>The figure <c>test_neg_elbo_nats</c>: negative evidence lower bound per test example, in nats (an upper bound on −log p(x)), one posterior draw per example.</summary>
    public static readonly MetricKey NegativeElbo = new("test_neg_elbo_nats", "negative evidence lower bound per test example, in nats (an upper bound on −log p(x)), one posterior draw per example");
    /// <summary>The figure <c>test_recon_nats</c>: −log p(x|z) per test example for one draw z ~ q(z|x), in nats.</summary>
    public static readonly MetricKey Reconstruction = new("test_recon_nats", "−log p(x|z) per test example for one draw z ~ q(z|x), in nats");
    /// <summary>The figure <c>test_kl_nats</c>: KL(q(z|x) ‖ p(z)) per test example, in nats.</summary>
    public static readonly MetricKey Kl = new("test_kl_nats", "KL(q(z|x) ‖ p(z)) per test example, in nats");
    /// <summary>The figure <c>iwae_nll_nats</c>: importance-weighted estimate of −log p(x) per test example, in nats (tighter than the ELBO).</summary>
    public static readonly MetricKey Iwae = new("iwae_nll_nats", "importance-weighted estimate of −log p(x) per test example, in nats (tighter than the ELBO)");
    /// <summary>The figure <c>iwae_samples</c>: importance samples per example behind iwae_nll_nats.</summary>
    public static readonly MetricKey IwaeSamples = new("iwae_samples", "importance samples per example behind iwae_nll_nats");
    /// <summary>The figure <c>active_units</c>: latent dimensions whose posterior mean varies across the data, activity Cov_x(E_q[z_j]) above <see cref="VariationalMeasurements.ActiveUnitThreshold"/> (Burda et al. 2016, §5.2).</summary>
    public static readonly MetricKey ActiveUnits = new("active_units",
        $"latent dimensions whose posterior mean varies across the data: activity Cov_x(E_q[z_j]) > {VariationalMeasurements.ActiveUnitThreshold} (Burda et al. 2016); the others are collapsed_units");
    /// <summary>The figure <c>collapsed_units</c>: latent dimensions that are not active (the posterior mean ignores x); <c>active_units + collapsed_units = D</c>.</summary>
    public static readonly MetricKey CollapsedUnits = new("collapsed_units",
        $"latent dimensions that are not active (activity ≤ {VariationalMeasurements.ActiveUnitThreshold}): the posterior mean ignores x; active_units + collapsed_units = D");
    /// <summary>The figure <c>kl_dim_{j}</c>: KL(q(z_j|x) ‖ p(z_j)) of latent dimension j, averaged over the examples, in nats.</summary>
    public static readonly MetricKey KlOfDimension = new("kl_dim_{j}", "KL(q(z_j|x) ‖ p(z_j)) of latent dimension j, averaged over the examples, in nats");
    /// <summary>The figure <c>activity_dim_{j}</c>: activity of latent dimension j: the variance across the examples of its posterior mean, Cov_x(E_q[z_j]).</summary>
    public static readonly MetricKey ActivityOfDimension = new("activity_dim_{j}", "activity of latent dimension j: the variance across the examples of its posterior mean, Cov_x(E_q[z_j])");

    /// <summary>The figure <c>likelihood_quantity</c>: which quantity the nats are, a <see cref="LikelihoodQuantity"/> code.</summary>
    public static readonly MetricKey Quantity = new("likelihood_quantity",
        "which quantity the nats figures are, by code: 1 bernoulli_on_grey_levels (a cross-entropy against grey levels, not a density of the data), " +
        "2 binarized_nll (−log p of the test split binarised once, seeded), 3 discretized_8bit_nll (−log p of the 8-bit data), 4 gaussian_density (−log of a density, in the data's units)");
    /// <summary>The figure <c>test_neg_elbo_bits_per_dim</c>: test_neg_elbo_nats / (D·ln 2), D the elements of an example.</summary>
    public static readonly MetricKey NegativeElboBitsPerDim = new("test_neg_elbo_bits_per_dim",
        "test_neg_elbo_nats / (D·ln 2), D the elements of an example: bits per dimension, a code length of the data only where likelihood_quantity is 2 or 3");
    /// <summary>The figure <c>iwae_bits_per_dim</c>: iwae_nll_nats / (D·ln 2).</summary>
    public static readonly MetricKey IwaeBitsPerDim = new("iwae_bits_per_dim",
        "iwae_nll_nats / (D·ln 2), D the elements of an example: bits per dimension, a code length of the data only where likelihood_quantity is 2 or 3");

    /// <summary>The seed of the noise drawn for <c>eval.json</c>, so that it is reproducible.</summary>
    public const long EvaluationSeed = 0x5EED;

    /// <summary>Decoded rows per forward pass of the importance-weighted estimate (bounds its memory).</summary>
    public const int ImportanceRowsPerPass = 8192;

    /// <summary>One pass over <paramref name="data"/>: per-dimension KL and activity, and the one-draw reconstruction term.</summary>
    public static VariationalMeasurements Measure(IVariational model, Dataset data, int batchSize = 500)
    {
        using var noGrad = no_grad();
        int dimension = model.LatentDimension;
        double reconstruction = 0;
        var klSum = new double[dimension];
        var means = new List<Tensor>();
        foreach (var batch in Batched.WithLabels(model as Autoencoder, data, batchSize))
        {
            using var scope = NewDisposeScope();
            var posterior = model.Infer(batch);
            var z = model.Draw(posterior, randn_like(posterior.Mean));
            reconstruction -= model.LogLikelihood(model.DecoderOutput(z), batch).sum().item<float>();
            var kl = model.KlPerDimension(posterior).sum([0]).to(ScalarType.Float64).data<double>().ToArray();
            for (int j = 0; j < dimension; j++) klSum[j] += kl[j];
            means.Add(posterior.Mean.to(ScalarType.Float64).MoveToOuterDisposeScope());
        }
        int count = Math.Max(1, data.Count);
        using var all = cat(means, 0);
        foreach (var part in means) part.Dispose();
        using var variance = data.Count > 1 ? all.var([0L], unbiased: false) : zeros(dimension, dtype: ScalarType.Float64);
        return new VariationalMeasurements(klSum.Select(sum => sum / count).ToArray(), variance.data<double>().ToArray(), reconstruction / count);
    }

    /// <summary><c>active_units</c>, <c>collapsed_units</c>, <c>kl_dim_j</c> and <c>activity_dim_j</c>.</summary>
    public static Dictionary<string, double> UnitFigures(VariationalMeasurements measured)
    {
        var figures = new Dictionary<string, double>
        {
            [ActiveUnits.Name] = measured.ActiveUnits,
            [CollapsedUnits.Name] = measured.CollapsedUnits.Length,
        };
        for (int j = 0; j < measured.KlPerDimension.Length; j++)
        {
            figures[KlOfDimension.For(j)] = measured.KlPerDimension[j];
            figures[ActivityOfDimension.For(j)] = measured.Activity[j];
        }
        return figures;
    }

    /// <summary>
    /// The warning a collapsed posterior deserves, naming <paramref name="cures"/> (<see cref="IVariational.CollapseCures"/>:
    /// those that apply to the model's options); null when no unit is collapsed.
    /// </summary>
    public static string? CollapseWarning(VariationalMeasurements measured, IReadOnlyList<string> cures)
    {
        var collapsed = measured.CollapsedUnits;
        if (collapsed.Length == 0) return null;
        int dimension = measured.Activity.Length;
        string which = string.Join(", ", collapsed.Take(8)) + (collapsed.Length > 8 ? ", …" : "");
        string what = collapsed.Length == dimension
            ? $"posterior collapse: the posterior means of all {dimension} latent dimensions ignore the input, so the decoder ignores z"
            : $"posterior collapse in {collapsed.Length} of {dimension} latent dimensions ({which})";
        string cure = cures.Count == 1 ? cures[0] : $"{string.Join(", ", cures.Take(cures.Count - 1))} or {cures[^1]}";
        return $"{what}; {measured.ActiveUnits} active units; to cure it pass {cure}";
    }

    /// <summary>
    /// <c>eval.json</c> figures on the test split as the likelihood observes it (<see cref="IVariational.Observed"/>: binarised
    /// once for a model trained on binarised pixels): the negative ELBO and its terms, in nats and bits per dimension,
    /// which quantity they are, the unit figures and, with <see cref="EvaluationOptions.IwaeSamples"/>, the importance-weighted bound.
    /// </summary>
    public static Dictionary<string, double> Evaluate(IVariational model, Dataset test, EvaluationOptions options)
    {
        test = model.Observed(test);
        double bitsPerNat = 1 / (test.Shape.Size * Math.Log(2));
        manual_seed(EvaluationSeed);
        var measured = Measure(model, test, options.BatchSize);
        var figures = UnitFigures(measured);
        figures[Quantity.Name] = (int)model.Quantity;
        figures[NegativeElbo.Name] = measured.Reconstruction + measured.Kl;
        figures[NegativeElboBitsPerDim.Name] = figures[NegativeElbo.Name] * bitsPerNat;
        figures[Reconstruction.Name] = measured.Reconstruction;
        figures[Kl.Name] = measured.Kl;
        if (options.IwaeSamples > 0)
        {
            using var noGrad = no_grad();
            double sum = 0;
            foreach (var batch in Batched.WithLabels(model as Autoencoder, test, options.BatchSize))
            {
                using var logLikelihood = ImportanceWeightedLogLikelihood(model, batch, options.IwaeSamples);
                sum += logLikelihood.sum().item<double>();
            }
            figures[Iwae.Name] = -sum / test.Count;
            figures[IwaeBitsPerDim.Name] = figures[Iwae.Name] * bitsPerNat;
            figures[IwaeSamples.Name] = options.IwaeSamples;
        }
        return figures;
    }

    /// <summary>
    /// The importance-weighted estimate of log p(x) with K draws from q (Burda et al. 2016, eq. 8):
    /// log (1/K) Σₖ p(x|zₖ)p(zₖ)/q(zₖ|x), accumulated by a running log-sum-exp over chunks of draws
    /// so that memory stays bounded for any K: at most <paramref name="rowsPerPass"/> decoded examples
    /// at a time (or one draw per example when B is larger). x [B, ...shape] → [B] nats.
    /// </summary>
    public static Tensor ImportanceWeightedLogLikelihood(IVariational model, Tensor x, int samples, int rowsPerPass = ImportanceRowsPerPass)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long batch = x.shape[0];
        int dimension = model.LatentDimension;
        var posterior = model.Infer(x);
        int chunk = (int)Math.Max(1, Math.Min(samples, rowsPerPass / batch));
        var running = full(batch, double.NegativeInfinity, dtype: ScalarType.Float64, device: x.device);
        for (int done = 0; done < samples; done += chunk)
        {
            int draws = Math.Min(chunk, samples - done);
            using var inner = NewDisposeScope();
            var noise = randn(draws, batch, dimension, dtype: posterior.Mean.dtype, device: x.device);  // ε [S, B, D]
            var z = model.Draw(posterior, noise);
            var logPosterior = model.LogPosterior(posterior, noise);                                    // [S, B]
            var logPrior = model.LogPrior(z);                                                           // [S, B]
            // [S, B, D] -> [S·B, D] -> decoded [S·B, ...shape] -> log p(x|z) [S·B] -> [S, B]
            var decoded = model.DecoderOutput(z.reshape(draws * batch, dimension));
            var targets = x.unsqueeze(0).expand([draws, .. x.shape]).reshape([draws * batch, .. x.shape.Skip(1)]);
            var logLikelihood = model.LogLikelihood(decoded, targets).reshape(draws, batch);
            var logWeights = (logLikelihood + logPrior - logPosterior).to(ScalarType.Float64);
            running = logaddexp(running, logWeights.logsumexp(0)).MoveToOuterDisposeScope();
        }
        return (running - Math.Log(samples)).MoveToOuterDisposeScope();
    }
}
