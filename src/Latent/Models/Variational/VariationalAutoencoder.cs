using Latent.Data;
using Latent.Evaluation;
using Latent.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>
/// The variational autoencoder (Kingma &amp; Welling 2014, "Auto-Encoding Variational Bayes"). The
/// encoder outputs a Gaussian q(z|x) = N(μ(x), Σ(x)); a draw z = μ + Σ^½·ε with ε ~ N(0, I) (the
/// reparameterisation trick, so gradients reach the encoder) is decoded into the parameters of
/// p(x|z). The loss per example, in nats, is
/// <code>
///   recon + λ·KL = −E_q[log p(x|z)] + λ·KL(q(z|x) ‖ N(0, I)),
/// </code>
/// the negative evidence lower bound when λ = 1 (Jensen: log p(x) ≥ E_q[log p(x|z)p(z)/q(z|x)]).
/// Training-time cures for posterior collapse: KL warm-up (Bowman et al. 2016: λ ramps from 0) and
/// free bits (Kingma et al. 2016, "Improved variational inference with inverse autoregressive
/// flow", eq. 15: each dimension's batch-averaged KL is floored). Evaluation adds the importance-
/// weighted bound (Burda, Grosse &amp; Salakhutdinov 2016) and their active-unit count.
/// </summary>
public sealed class VariationalAutoencoder : Autoencoder, IGenerative
{
    /// <summary>A unit whose posterior mean varies across the data by less than this is inactive (Burda et al. 2016, §5.2).</summary>
    public const double ActiveUnitThreshold = 0.01;

    /// <summary>The seed of the noise drawn by <see cref="Evaluate"/>, so that eval.json is reproducible.</summary>
    public const long EvaluationSeed = 0x5EED;

    /// <summary>Decoded rows per forward pass of the importance-weighted estimate (bounds its memory).</summary>
    public const int ImportanceRowsPerPass = 8192;

    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly Parameter? outputLogVariance;
    readonly VaeOptions _options;
    int _collapsedAtLastWarning;

    public VariationalAutoencoder(VaeOptions options, DataShape shape) : base("vae", options, shape)
    {
        _options = options;
        int dimension = options.LatentDim;
        // Encoder outputs per example: [μ (D) | log-variance (D)] for a diagonal Σ, followed by the
        // D(D−1)/2 strictly-lower entries of the Cholesky factor for a full one.
        int outputs = 2 * dimension + (options.Covariance == Covariance.Full ? dimension * (dimension - 1) / 2 : 0);
        encoder = Networks.Encoder(options, shape, outputs);
        decoder = Networks.Decoder(options, shape, dimension);
        if (options.Init == Initialisation.He)
        {
            HeInitialisation.Apply(encoder);
            HeInitialisation.Apply(decoder);
        }
        // With --learn-variance, one σ² shared by every output element (the σ-VAE of Rybkin et al. 2021),
        // learned as log σ²; otherwise there is no such parameter and σ² is the fixed option.
        outputLogVariance = options.LearnVariance ? nn.Parameter(full(1, Math.Log(options.Variance))) : null;
        RegisterComponents();
    }

    /// <summary>The encoder's posterior q(z|x) for a batch.</summary>
    /// <param name="Mean">μ [B, D].</param>
    /// <param name="LogVariance">log Σⱼⱼ for a diagonal Σ, log Lⱼⱼ² for a Cholesky factor [B, D]; either way Σ log-variance = log det Σ.</param>
    /// <param name="Cholesky">L [B, D, D] with Σ = L·Lᵀ, or null for a diagonal Σ.</param>
    public sealed record Posterior(Tensor Mean, Tensor LogVariance, Tensor? Cholesky);

    /// <summary>x [B, ...shape] → q(z|x).</summary>
    public Posterior Infer(Tensor x)
    {
        int dimension = _options.LatentDim;
        var outputs = encoder.forward(x);
        var mean = outputs.narrow(1, 0, dimension);
        var logVariance = outputs.narrow(1, dimension, dimension);
        if (_options.Covariance == Covariance.Diagonal) return new Posterior(mean, logVariance, null);

        long batch = x.shape[0];
        var lower = outputs.narrow(1, 2 * dimension, outputs.shape[1] - 2 * dimension);
        // Flat positions j·D + k of the entries below the diagonal (k < j), in row-major order.
        var rowsAndColumns = tril_indices(dimension, dimension, offset: -1, device: outputs.device);
        var flatIndex = rowsAndColumns[0] * dimension + rowsAndColumns[1];
        // [B, D(D−1)/2] -> [B, D·D] (zeros on and above the diagonal) -> [B, D, D], plus the positive diagonal exp(½ log Lⱼⱼ²)
        var strictlyLower = zeros(batch, (long)dimension * dimension, dtype: outputs.dtype, device: outputs.device)
            .index_copy(1, flatIndex, lower).reshape(batch, dimension, dimension);
        var cholesky = strictlyLower + (0.5 * logVariance).exp().diag_embed();
        return new Posterior(mean, logVariance, cholesky);
    }

    /// <summary>
    /// The reparameterisation z = μ + Σ^½·ε: noise [..., B, D] (leading sample axes broadcast) → z of the same shape.
    /// </summary>
    public static Tensor Draw(Posterior posterior, Tensor noise) => posterior.Cholesky is null
        ? posterior.Mean + (0.5 * posterior.LogVariance).exp() * noise
        : posterior.Mean + einsum("bjk,...bk->...bj", posterior.Cholesky, noise);      // L [B, D, D] · ε [..., B, D], without copying L per draw

    /// <summary>KL(q(z|x) ‖ N(0, I)) split over the latent dimensions, [B, D]; the rows sum to the total.</summary>
    public static Tensor KlPerDimension(Posterior posterior) => posterior.Cholesky is null
        ? GaussianKl.DiagonalToStandard(posterior.Mean, posterior.LogVariance)
        : GaussianKl.CholeskyToStandard(posterior.Mean, posterior.Cholesky, posterior.LogVariance);

    /// <summary>
    /// log p(x|z) summed over the elements of each example, nats, with every constant included:
    /// decoder outputs [N, ...shape] and targets [N, ...shape] (or broadcastable to it) → [N].
    /// </summary>
    public Tensor LogLikelihood(Tensor decoderOutput, Tensor x)
    {
        if (_options.Likelihood == Likelihood.Bernoulli)
        {
            // log Bernoulli(x; sigmoid(ℓ)) = −BCE(ℓ, x), computed from the logits ℓ for stability.
            var crossEntropy = nn.functional.binary_cross_entropy_with_logits(decoderOutput, x.expand_as(decoderOutput), reduction: nn.Reduction.None);
            return -crossEntropy.flatten(1).sum(1);
        }
        // log N(x; x̂, σ²) = −½[(x − x̂)²/σ² + log σ² + log 2π], per element.
        var mean = Shape.IsUnitRange ? decoderOutput.sigmoid() : decoderOutput;
        var squaredError = (x - mean).square();
        var perElement = outputLogVariance is null
            ? squaredError / _options.Variance + (Math.Log(_options.Variance) + LogTwoPi)
            : squaredError * (-outputLogVariance).exp() + outputLogVariance + LogTwoPi;
        return -0.5 * perElement.flatten(1).sum(1);
    }

    /// <summary>The posterior mean μ(x): the deterministic representation.</summary>
    public override Tensor Encode(Tensor x) => Infer(x).Mean;

    /// <summary>The mean of p(x|z): probabilities for Bernoulli pixels, x̂ for a Gaussian.</summary>
    public override Tensor Decode(Tensor z)
    {
        var output = decoder.forward(z);
        return Shape.IsUnitRange ? output.sigmoid() : output;
    }

    /// <summary>Decodes z ~ N(0, I), the prior the KL term pulls the posteriors towards.</summary>
    public Tensor Sample(int count)
    {
        var parameter = parameters().First();
        return Decode(randn(count, _options.LatentDim, dtype: parameter.dtype, device: parameter.device));
    }

    /// <summary>
    /// The KL weight at a point of training: λ, ramped linearly from 0 over the first KlWarmup epochs.
    /// Validation and evaluation use the final objective (λ itself).
    /// </summary>
    public double KlWeight(TrainingStep step) =>
        _options.KlWarmup <= 0 || step.Validating ? _options.Beta : _options.Beta * Math.Min(1, step.EpochProgress / _options.KlWarmup);

    /// <summary>
    /// recon + weight·KL, per example (batch mean), with the terms "recon" (−log p(x|z) for one draw)
    /// and "kl" (the exact KL, before any free-bits floor). With λ = 1 and no warm-up or free bits,
    /// the total is the single-sample estimate of the negative ELBO.
    /// </summary>
    public override LossTerms Loss(Tensor x, TrainingStep step)
    {
        var posterior = Infer(x);
        var z = Draw(posterior, randn_like(posterior.Mean));
        var reconstruction = -LogLikelihood(decoder.forward(z), x).mean();
        var klPerDimension = KlPerDimension(posterior).mean([0]);        // [B, D] -> [D], batch-averaged
        var kl = klPerDimension.sum();
        // Free bits (training only): max(floor, KLⱼ) per dimension, so a dimension below the floor gets
        // no gradient pulling it further towards the prior.
        var regulariser = _options.FreeBits > 0 && !step.Validating ? klPerDimension.clamp_min(_options.FreeBits).sum() : kl;
        var total = reconstruction + KlWeight(step) * regulariser;
        return new LossTerms(total, ("recon", reconstruction), ("kl", kl));
    }

    /// <summary>Per-dimension KL and the spread of the posterior means over a data set, with one-draw reconstruction terms.</summary>
    public sealed record Measurements(double[] KlPerDimension, double[] MeanVariance, double Reconstruction, int Count)
    {
        /// <summary>Units whose posterior mean varies across the data: Cov_x(E_q[z])ⱼ &gt; 0.01 (Burda et al. 2016).</summary>
        public int ActiveUnits => MeanVariance.Count(variance => variance > ActiveUnitThreshold);

        public double Kl => KlPerDimension.Sum();
    }

    /// <summary>Measures a data set in batches, without gradients; the reconstruction term uses one draw per example.</summary>
    public Measurements Measure(Dataset data, int batchSize = 500)
    {
        using var noGrad = no_grad();
        int dimension = _options.LatentDim;
        double reconstruction = 0;
        var klSum = new double[dimension];
        var means = new List<Tensor>();
        foreach (var batch in data.Batches(batchSize))
        {
            using var scope = NewDisposeScope();
            var posterior = Infer(batch);
            var z = Draw(posterior, randn_like(posterior.Mean));
            reconstruction -= LogLikelihood(decoder.forward(z), batch).sum().item<float>();
            var kl = KlPerDimension(posterior).sum([0]).to(ScalarType.Float64).data<double>().ToArray();
            for (int j = 0; j < dimension; j++) klSum[j] += kl[j];
            means.Add(posterior.Mean.to(ScalarType.Float64).MoveToOuterDisposeScope());
        }
        int count = data.Count;
        using var all = cat(means, 0);
        foreach (var part in means) part.Dispose();
        using var variance = count > 1 ? all.var([0L], unbiased: false) : zeros(dimension, dtype: ScalarType.Float64);
        return new Measurements(klSum.Select(sum => sum / count).ToArray(), variance.data<double>().ToArray(), reconstruction / count, count);
    }

    /// <summary>
    /// The importance-weighted estimate of log p(x) with K draws from q (Burda et al. 2016, eq. 8):
    /// log (1/K) Σₖ p(x|zₖ)p(zₖ)/q(zₖ|x), accumulated by a running log-sum-exp over chunks of draws
    /// so that memory stays bounded for any K: at most <paramref name="rowsPerPass"/> decoded examples
    /// at a time (or one draw per example when B is larger). x [B, ...shape] → [B] nats.
    /// </summary>
    public Tensor ImportanceWeightedLogLikelihood(Tensor x, int samples, int rowsPerPass = ImportanceRowsPerPass)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0];
        int dimension = _options.LatentDim;
        var posterior = Infer(x);
        int chunk = (int)Math.Max(1, Math.Min(samples, rowsPerPass / batch));
        var running = full(batch, double.NegativeInfinity, dtype: ScalarType.Float64, device: x.device);
        for (int done = 0; done < samples; done += chunk)
        {
            int draws = Math.Min(chunk, samples - done);
            using var inner = NewDisposeScope();
            var noise = randn(draws, batch, dimension, dtype: posterior.Mean.dtype, device: x.device);  // ε [S, B, D]
            var z = Draw(posterior, noise);
            // log q(z|x) = −½[D log 2π + log det Σ + ‖ε‖²]; log p(z) = −½[D log 2π + ‖z‖²]
            var logPosterior = -0.5 * (dimension * LogTwoPi + posterior.LogVariance.sum(-1) + noise.square().sum(-1));
            var logPrior = -0.5 * (dimension * LogTwoPi + z.square().sum(-1));
            // [S, B, D] -> [S·B, D] -> decoded [S·B, ...shape] -> log p(x|z) [S·B] -> [S, B]
            var decoded = decoder.forward(z.reshape(draws * batch, dimension));
            var targets = x.unsqueeze(0).expand([draws, .. x.shape]).reshape([draws * batch, .. x.shape.Skip(1)]);
            var logLikelihood = LogLikelihood(decoded, targets).reshape(draws, batch);
            var logWeights = (logLikelihood + logPrior - logPosterior).to(ScalarType.Float64);
            running = logaddexp(running, logWeights.logsumexp(0)).MoveToOuterDisposeScope();
        }
        return (running - Math.Log(samples)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per epoch, on the validation split: active units, dimensions whose KL is below the collapse
    /// threshold, and each dimension's KL (keys <c>kl_dim_j</c>). Warns when the number of collapsed
    /// dimensions changes (and is not zero), naming the cures.
    /// </summary>
    public override Diagnosis Diagnose(Dataset validation)
    {
        if (validation.Count == 0) return Diagnosis.None;
        var measured = Measure(validation);
        var collapsed = Collapsed(measured);
        var figures = UnitFigures(measured);

        var warnings = new List<string>();
        if (collapsed.Length > 0 && collapsed.Length != _collapsedAtLastWarning) warnings.Add(CollapseWarning(measured, collapsed));
        _collapsedAtLastWarning = collapsed.Length;
        return new Diagnosis(figures, warnings);
    }

    /// <summary><c>active_units</c>, <c>collapsed_units</c> and <c>kl_dim_j</c> of a measured data set.</summary>
    Dictionary<string, double> UnitFigures(Measurements measured)
    {
        var figures = new Dictionary<string, double>
        {
            ["active_units"] = measured.ActiveUnits,
            ["collapsed_units"] = Collapsed(measured).Length,
        };
        for (int j = 0; j < measured.KlPerDimension.Length; j++) figures[$"kl_dim_{j}"] = measured.KlPerDimension[j];
        return figures;
    }

    int[] Collapsed(Measurements measured) =>
        Enumerable.Range(0, measured.KlPerDimension.Length).Where(j => measured.KlPerDimension[j] < _options.CollapseThreshold).ToArray();

    string CollapseWarning(Measurements measured, int[] collapsed)
    {
        int dimension = measured.KlPerDimension.Length;
        string which = string.Join(", ", collapsed.Take(8)) + (collapsed.Length > 8 ? ", …" : "");
        string what = collapsed.Length == dimension
            ? $"posterior collapse: all {dimension} latent dimensions carry KL < {_options.CollapseThreshold} nats, so the decoder ignores z"
            : $"posterior collapse in {collapsed.Length} of {dimension} latent dimensions (KL < {_options.CollapseThreshold} nats: {which})";
        return $"{what}; {measured.ActiveUnits} active units; to cure it pass --kl-warmup 10 or --free-bits 0.25 (or a lower --beta or --latent-dim)";
    }

    /// <summary>
    /// eval.json figures: <c>test_neg_elbo_nats</c> (recon + KL, λ = 1, one draw per example),
    /// <c>test_recon_nats</c>, <c>test_kl_nats</c>, <c>active_units</c>, <c>collapsed_units</c>,
    /// <c>kl_dim_j</c> per latent dimension, and with K importance samples <c>iwae_nll_nats</c> and
    /// <c>iwae_samples</c>. All in nats per example; the noise is seeded by <see cref="EvaluationSeed"/>.
    /// </summary>
    public override IReadOnlyDictionary<string, double> Evaluate(Dataset test, EvaluationOptions options)
    {
        manual_seed(EvaluationSeed);
        var measured = Measure(test, options.BatchSize);
        var figures = UnitFigures(measured);
        figures["test_neg_elbo_nats"] = measured.Reconstruction + measured.Kl;
        figures["test_recon_nats"] = measured.Reconstruction;
        figures["test_kl_nats"] = measured.Kl;
        if (options.IwaeSamples > 0)
        {
            using var noGrad = no_grad();
            double sum = 0;
            foreach (var batch in test.Batches(options.BatchSize))
            {
                using var logLikelihood = ImportanceWeightedLogLikelihood(batch, options.IwaeSamples);
                sum += logLikelihood.sum().item<double>();
            }
            figures["iwae_nll_nats"] = -sum / test.Count;
            figures["iwae_samples"] = options.IwaeSamples;
        }
        return figures;
    }
}
