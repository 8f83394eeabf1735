using Latent.Data;
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
/// weighted bound (Burda, Grosse &amp; Salakhutdinov 2016) and their active-unit count, through
/// <see cref="IVariational"/>. The likelihood follows the data unless asked for: Bernoulli for images,
/// Gaussian for table rows, whose columns are standardised (<see cref="ColumnStandardizer"/>) so that the
/// Gaussian's σ² is in units of each column's spread; log p(x|z) then includes the Jacobian −Σⱼ log σⱼ, so
/// it stays a density of the data in their own units.
/// An 8-bit image can instead take the discretised logistic (<see cref="DiscretizedLogistic"/>), whose nats are a
/// negative log-likelihood of the 8-bit data; the Bernoulli can be made one of binary data by dynamic binarisation
/// (<see cref="DynamicBinarization"/>). <see cref="Quantity"/> says which quantity the nats are.
/// The variants are options that replace one part each: the regulariser (<see cref="CapacityAnnealing"/>,
/// <see cref="TotalCorrelation"/>), the prior (<see cref="VampPrior"/>) and the number of draws of the
/// objective (<see cref="ImportanceWeightedBound"/>).
/// </summary>
public sealed class VariationalAutoencoder : Autoencoder, IGenerative, IVariational, IFitsTrainingSplit
{
    /// <summary>The KL term of the objective.</summary>
    public static readonly MetricKey KlTerm = MetricKey.Term("kl", "KL(q(z|x) ‖ p(z)) per example, in nats, before any weight or free-bits floor (a one-draw estimate for the VampPrior)");
    /// <summary>The capacity target of <see cref="Regulariser.Capacity"/>.</summary>
    public static readonly MetricKey CapacityTerm = MetricKey.Term("capacity", "the capacity C, nats, that γ·|KL − C| pulls the KL to at this step (Burgess et al. 2018)");
    /// <summary>The index-code mutual information of <see cref="Regulariser.TotalCorrelation"/>.</summary>
    public static readonly MetricKey MutualInformationTerm = MetricKey.Term("mi", "index-code mutual information I(x; z) per example, nats, by minibatch-weighted sampling (β-TCVAE)");
    /// <summary>The total correlation of <see cref="Regulariser.TotalCorrelation"/>.</summary>
    public static readonly MetricKey TotalCorrelationTerm = MetricKey.Term("tc", "total correlation KL(q(z) ‖ Πⱼ q(zⱼ)), nats, by minibatch-weighted sampling (β-TCVAE; without the paper's (D−1)·log N offset, so independent codes give about 0)");
    /// <summary>The dimension-wise KL of <see cref="Regulariser.TotalCorrelation"/>.</summary>
    public static readonly MetricKey DimensionWiseKlTerm = MetricKey.Term("dim_kl", "dimension-wise KL Σⱼ KL(q(zⱼ) ‖ p(zⱼ)), nats, by minibatch-weighted sampling (β-TCVAE)");
    /// <summary>The importance-weighted bound minimised with <see cref="VaeOptions.TrainSamples"/> above 1.</summary>
    public static readonly MetricKey ImportanceWeightedTerm = MetricKey.Term("iwae", "−log (1/K) Σₖ p(x, zₖ)/q(zₖ|x) per example, nats, K = --train-samples: the IWAE objective");

    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly Parameter? outputLogVariance;
    private readonly ColumnStandardizer? standardizer;
    private readonly VampPrior? vamp_prior;
    readonly VaeOptions _options;
    readonly Likelihood _likelihood;

    /// <summary>Builds the Gaussian encoder (2D outputs for μ and log σ², plus D(D − 1)/2 Cholesky entries for a full covariance), the decoder,
    /// the learned log σ² of the σ-VAE, a column standardiser for Gaussian tables, and the VampPrior's pseudo-inputs when asked for.</summary>
    /// <param name="options">The VAE's options: likelihood, covariance, regulariser, prior, importance samples.</param>
    /// <param name="shape">The shape of one example.</param>
    public VariationalAutoencoder(VaeOptions options, DataShape shape) : base("vae", options, shape)
    {
        _options = options;
        int dimension = options.LatentDim;
        // Encoder outputs per example: [μ (D) | log-variance (D)] for a diagonal Σ, followed by the
        // D(D−1)/2 strictly-lower entries of the Cholesky factor for a full one.
        int outputs = 2 * dimension + (options.Covariance == Covariance.Full ? dimension * (dimension - 1) / 2 : 0);
        encoder = Networks.Encoder(options, EncoderShape, outputs);
        _likelihood = options.LikelihoodFor(shape);
        // The discretised logistic's decoder outputs [μ (C channels) | log s (C channels)]: a scale per element, as
        // PixelCNN++ (Salimans et al. 2017, §2.1) and NVAE (Vahdat & Kautz 2020) output per-subpixel log-scales. IAF's
        // VAE (Kingma et al. 2016) shares one learned log-scale instead; a shared scale must fit the least predictable
        // pixel, so it spends bits on the many near-certain ones (Fashion-MNIST's background), at no saving in the network.
        var decoded = _likelihood == Likelihood.DiscretizedLogistic ? shape with { Channels = 2 * shape.Channels } : shape;
        decoder = Networks.Decoder(options, decoded, DecoderInputs(dimension));
        if (options.Init == Initialisation.He)
        {
            HeInitialisation.Apply(encoder);
            HeInitialisation.Apply(decoder);
        }
        // With --learn-variance, one σ² shared by every output element (the σ-VAE of Rybkin et al. 2021),
        // learned as log σ²; otherwise there is no such parameter and σ² is the fixed option.
        outputLogVariance = options.LearnVariance ? nn.Parameter(full(1, Math.Log(options.Variance))) : null;
        standardizer = _likelihood == Likelihood.Gaussian ? TableStandardization.For(options, shape) : null;
        vamp_prior = options.Prior == Prior.Vamp ? new VampPrior(options.PseudoInputs, shape) : null;
        RegisterComponents();
    }

    /// <summary>
    /// Fixes each table column's mean and spread from the training split (Gaussian tables only); nothing for other data.
    /// </summary>
    public void FitTrainingSplit(Dataset train) => standardizer?.Fit(train.Features);

    /// <summary>x [B, ...shape] → q(z|x).</summary>
    public GaussianPosterior Infer(Tensor x)
    {
        int dimension = _options.LatentDim;
        var outputs = encoder.forward(EncoderInput(standardizer?.Standardize(x) ?? x));
        var mean = outputs.narrow(1, 0, dimension);
        var logVariance = outputs.narrow(1, dimension, dimension);
        if (_options.Covariance == Covariance.Diagonal) return new GaussianPosterior(mean, logVariance, null);

        long batch = x.shape[0];
        var lower = outputs.narrow(1, 2 * dimension, outputs.shape[1] - 2 * dimension);
        // Flat positions j·D + k of the entries below the diagonal (k < j), in row-major order.
        var rowsAndColumns = tril_indices(dimension, dimension, offset: -1, device: outputs.device);
        var flatIndex = rowsAndColumns[0] * dimension + rowsAndColumns[1];
        // [B, D(D−1)/2] -> [B, D·D] (zeros on and above the diagonal) -> [B, D, D], plus the positive diagonal exp(½ log Lⱼⱼ²)
        var strictlyLower = zeros(batch, (long)dimension * dimension, dtype: outputs.dtype, device: outputs.device)
            .index_copy(1, flatIndex, lower).reshape(batch, dimension, dimension);
        var cholesky = strictlyLower + (0.5 * logVariance).exp().diag_embed();
        return new GaussianPosterior(mean, logVariance, cholesky);
    }

    /// <summary>
    /// The reparameterisation z = μ + Σ^½·ε: noise [..., B, D] (leading sample axes broadcast) → z of the same shape.
    /// </summary>
    public Tensor Draw(GaussianPosterior posterior, Tensor noise) => posterior.Cholesky is null
        ? posterior.Mean + (0.5 * posterior.LogVariance).exp() * noise
        : posterior.Mean + einsum("bjk,...bk->...bj", posterior.Cholesky, noise);      // L [B, D, D] · ε [..., B, D], without copying L per draw

    /// <summary>
    /// KL(q(z|x) ‖ p(z)) split over the latent dimensions, [B, D]; the rows sum to the total. Exact for N(0, I);
    /// for the VampPrior a one-draw estimate (drawn with torch's generator), split by the chain rule.
    /// </summary>
    public Tensor KlPerDimension(GaussianPosterior posterior)
    {
        if (vamp_prior is null) return KlPerDimension(posterior, null);
        using var scope = NewDisposeScope();
        return KlPerDimension(posterior, randn_like(posterior.Mean)).MoveToOuterDisposeScope();
    }

    /// <summary>The KL per dimension [B, D]: in closed form against N(0, I), or at the draw of <paramref name="noise"/> against the VampPrior.</summary>
    Tensor KlPerDimension(GaussianPosterior posterior, Tensor? noise)
    {
        if (vamp_prior is null)
            return posterior.Cholesky is null
                ? GaussianKl.DiagonalToStandard(posterior.Mean, posterior.LogVariance)
                : GaussianKl.CholeskyToStandard(posterior.Mean, posterior.Cholesky, posterior.LogVariance);
        // log q(zⱼ | x) − log p(zⱼ | z<ⱼ): for the diagonal posterior the first is log N(εⱼ; 0, 1) − ½ log σⱼ².
        var z = Draw(posterior, noise!);
        var logPosterior = -0.5 * (LogTwoPi + posterior.LogVariance + noise!.square());
        return logPosterior - vamp_prior.LogDensityPerDimension(vamp_prior.Components(Infer), z);
    }

    /// <summary>
    /// log p(x|z) summed over the elements of each example, nats, with every constant included:
    /// decoder outputs [N, ...shape] and targets [N, ...shape] (or broadcastable to it) → [N].
    /// </summary>
    public Tensor LogLikelihood(Tensor decoderOutput, Tensor x)
    {
        if (_likelihood == Likelihood.DiscretizedLogistic)
        {
            // [N, 2C, H, W] -> μ [N, C, H, W] and log s [N, C, H, W]
            long channels = Shape.Channels;
            var logProbability = DiscretizedLogistic.LogProbability(x.expand_as(decoderOutput.narrow(1, 0, channels)),
                decoderOutput.narrow(1, 0, channels), decoderOutput.narrow(1, channels, channels));
            return logProbability.flatten(1).sum(1);
        }
        if (_likelihood == Likelihood.Bernoulli)
        {
            // log Bernoulli(x; sigmoid(ℓ)) = −BCE(ℓ, x), computed from the logits ℓ for stability.
            var crossEntropy = nn.functional.binary_cross_entropy_with_logits(decoderOutput, x.expand_as(decoderOutput), reduction: nn.Reduction.None);
            return -crossEntropy.flatten(1).sum(1);
        }
        // log N(x; x̂, σ²) = −½[(x − x̂)²/σ² + log σ² + log 2π], per element; for standardised columns
        // s = (x − μ)/σ_col, log p(x) = log p(s) − Σⱼ log σ_col,j.
        var target = standardizer?.Standardize(x) ?? x;
        var mean = standardizer is null && Shape.IsUnitRange ? decoderOutput.sigmoid() : decoderOutput;
        var squaredError = (target - mean).square();
        var perElement = outputLogVariance is null
            ? squaredError / _options.Variance + (Math.Log(_options.Variance) + LogTwoPi)
            : squaredError * (-outputLogVariance).exp() + outputLogVariance + LogTwoPi;
        var logLikelihood = -0.5 * perElement.flatten(1).sum(1);
        return standardizer is null ? logLikelihood : logLikelihood - standardizer.LogScaleSum;
    }

    /// <summary>D, the dimension of z.</summary>
    public int LatentDimension => _options.LatentDim;

    /// <summary>What the nats are: of binarised pixels, of 8-bit levels, a Gaussian density, or a Bernoulli on grey levels (no density of the data).</summary>
    public LikelihoodQuantity Quantity => _likelihood switch
    {
        Likelihood.DiscretizedLogistic => LikelihoodQuantity.Discretized8BitNll,
        Likelihood.Gaussian => LikelihoodQuantity.GaussianDensity,
        _ => _options.Binarize == Binarization.Dynamic ? LikelihoodQuantity.BinarizedNll : LikelihoodQuantity.BernoulliOnGreyLevels,
    };

    /// <inheritdoc/>
    public IReadOnlyList<string> CollapseCures => _options.CollapseCures();

    /// <summary>The data as evaluated: with <see cref="VaeOptions.Binarize"/> dynamic, one fixed binary draw of them (<see cref="DynamicBinarization.Fixed"/>); otherwise the data.</summary>
    public Dataset Observed(Dataset data) => _options.Binarize == Binarization.Dynamic ? DynamicBinarization.Fixed(data) : data;

    /// <summary>log q(z|x) = −½[D log 2π + log det Σ + ‖ε‖²] for z = μ + Σ^½ε: noise [..., B, D] → [..., B].</summary>
    public Tensor LogPosterior(GaussianPosterior posterior, Tensor noise) =>
        -0.5 * (_options.LatentDim * LogTwoPi + posterior.LogVariance.sum(-1) + noise.square().sum(-1));

    /// <summary>log p(z): log N(z; 0, I) = −½[D log 2π + ‖z‖²], or the VampPrior's mixture density: [..., D] → [...].</summary>
    public Tensor LogPrior(Tensor z)
    {
        if (vamp_prior is null) return -0.5 * (_options.LatentDim * LogTwoPi + z.square().sum(-1));
        using var scope = NewDisposeScope();
        return vamp_prior.LogDensity(vamp_prior.Components(Infer), z).MoveToOuterDisposeScope();
    }

    /// <summary>The VampPrior's pseudo-inputs in data units [K, ...shape], or null with the prior N(0, I).</summary>
    public Tensor? PseudoInputs() => vamp_prior?.PseudoInputs();

    /// <summary>z → the decoder's raw output: logits of Bernoulli pixels, the mean of a Gaussian (of standardised columns for a table), or the discretised logistic's [μ | log s] along the channels; <see cref="LogLikelihood"/> reads it.</summary>
    public Tensor DecoderOutput(Tensor z) => decoder.forward(DecoderInput(z));

    /// <summary>The posterior mean μ(x): the deterministic representation.</summary>
    public override Tensor Encode(Tensor x) => Infer(x).Mean;

    /// <summary>The mean of p(x|z): probabilities for Bernoulli pixels, x̂ for a Gaussian, the logistic's μ clamped to [0, 1] for the discretised logistic.</summary>
    public override Tensor Decode(Tensor z)
    {
        var output = decoder.forward(DecoderInput(z));
        if (standardizer is not null) return standardizer.Restore(output);
        if (_likelihood == Likelihood.DiscretizedLogistic) return output.narrow(1, 0, Shape.Channels).clamp(0, 1);
        return Shape.IsUnitRange ? output.sigmoid() : output;
    }

    /// <summary>z ~ p(z), the prior the KL term pulls the posteriors towards: [count, D].</summary>
    public Tensor SamplePrior(int count)
    {
        if (vamp_prior is not null)
        {
            using var scope = NewDisposeScope();
            return vamp_prior.Sample(vamp_prior.Components(Infer), count).MoveToOuterDisposeScope();
        }
        var parameter = parameters().First();
        return randn(count, _options.LatentDim, dtype: parameter.dtype, device: parameter.device);
    }

    /// <summary>Decodes z ~ p(z); a conditioned model decodes them with the labels given (<see cref="Autoencoder.Given"/>), else in equal shares of every class.</summary>
    public Tensor Sample(int count)
    {
        using var scope = NewDisposeScope();
        using var shares = Condition is { HasLabels: false } condition ? condition.Given(condition.EqualShares(count)) : null;
        return Decode(SamplePrior(count)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The KL weight at a point of training: λ, ramped linearly from 0 over the first KlWarmup epochs.
    /// Validation and evaluation use the final objective (λ itself).
    /// </summary>
    public double KlWeight(LossContext context) =>
        _options.KlWarmup <= 0 || context.Position is not { } position ? _options.Beta : _options.Beta * Math.Min(1, position.EpochProgress / _options.KlWarmup);

    /// <summary>
    /// recon + the regulariser, per example (batch mean), with the terms "recon" (−log p(x|z) for one draw)
    /// and "kl" (the exact KL against N(0, I), before any free-bits floor; one draw's estimate against the
    /// VampPrior), and the regulariser's own terms. With the KL regulariser, λ = 1 and no warm-up or free bits,
    /// the total is the single-sample estimate of the negative ELBO; with <see cref="VaeOptions.TrainSamples"/> K &gt; 1 it is −L_K.
    /// With <see cref="VaeOptions.Binarize"/> dynamic, x is first replaced by a draw from Bernoulli(x).
    /// </summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        // Dynamic binarisation: a fresh draw from torch's generator, which the trainer seeds per step (so each epoch
        // sees new binary images) and once for the validation pass (so each epoch's validation sees the same ones).
        if (_options.Binarize == Binarization.Dynamic) x = DynamicBinarization.Draw(x);
        var posterior = Infer(x);
        var noise = randn_like(posterior.Mean);
        var z = Draw(posterior, noise);
        var klPerDimension = KlPerDimension(posterior, noise).mean([0]);        // [B, D] -> [D], batch-averaged
        var kl = klPerDimension.sum();
        if (_options.TrainSamples > 1)
        {
            var bound = ImportanceWeightedBound.Estimate(this, x, posterior, _options.TrainSamples);
            var negativeBound = -bound.LogBound.mean();
            return new LossTerms(negativeBound, (LossTerms.Reconstruction, bound.Reconstruction), (KlTerm, kl), (ImportanceWeightedTerm, negativeBound));
        }
        var reconstruction = -LogLikelihood(DecoderOutput(z), x).mean();
        switch (_options.Regulariser)
        {
            case Regulariser.Capacity:
            {
                double capacity = CapacityAnnealing.Target(_options, context);
                var total = reconstruction + _options.CapacityWeight * (kl - capacity).abs();
                return new LossTerms(total, (LossTerms.Reconstruction, reconstruction), (KlTerm, kl), (CapacityTerm, tensor((float)capacity)));
            }
            case Regulariser.TotalCorrelation:
            {
                var split = TotalCorrelation.Estimate(posterior, z);
                var total = reconstruction + _options.MiWeight * split.MutualInformation + _options.TcWeight * split.TotalCorrelation
                            + _options.DimensionKlWeight * split.DimensionWiseKl;
                return new LossTerms(total, (LossTerms.Reconstruction, reconstruction), (KlTerm, kl),
                    (MutualInformationTerm, split.MutualInformation), (TotalCorrelationTerm, split.TotalCorrelation), (DimensionWiseKlTerm, split.DimensionWiseKl));
            }
            default:
            {
                // Free bits (training only): max(floor, KLⱼ) per dimension, so a dimension below the floor gets
                // no gradient pulling it further towards the prior.
                var regulariser = _options.FreeBits > 0 && context.IsTraining ? klPerDimension.clamp_min(_options.FreeBits).sum() : kl;
                var total = reconstruction + KlWeight(context) * regulariser;
                return new LossTerms(total, (LossTerms.Reconstruction, reconstruction), (KlTerm, kl));
            }
        }
    }
}
