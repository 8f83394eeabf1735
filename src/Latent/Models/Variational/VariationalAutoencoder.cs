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
/// <see cref="IVariational"/>.
/// </summary>
public sealed class VariationalAutoencoder : Autoencoder, IGenerative, IVariational
{
    /// <summary>The KL term of the objective.</summary>
    public static readonly MetricKey KlTerm = MetricKey.Term("kl", "KL(q(z|x) ‖ p(z)) per example, in nats, before any weight or free-bits floor");

    static readonly double LogTwoPi = Math.Log(2 * Math.PI);

    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly Parameter? outputLogVariance;
    readonly VaeOptions _options;

    public VariationalAutoencoder(VaeOptions options, DataShape shape) : base("vae", options, shape)
    {
        _options = options;
        int dimension = options.LatentDim;
        // Encoder outputs per example: [μ (D) | log-variance (D)] for a diagonal Σ, followed by the
        // D(D−1)/2 strictly-lower entries of the Cholesky factor for a full one.
        int outputs = 2 * dimension + (options.Covariance == Covariance.Full ? dimension * (dimension - 1) / 2 : 0);
        encoder = Networks.Encoder(options, shape, outputs);
        decoder = Networks.Decoder(options, shape, dimension);
        // With --learn-variance, one σ² shared by every output element (the σ-VAE of Rybkin et al. 2021),
        // learned as log σ²; otherwise there is no such parameter and σ² is the fixed option.
        outputLogVariance = options.LearnVariance ? nn.Parameter(full(1, Math.Log(options.Variance))) : null;
        RegisterComponents();
    }

    /// <summary>x [B, ...shape] → q(z|x).</summary>
    public GaussianPosterior Infer(Tensor x)
    {
        int dimension = _options.LatentDim;
        var outputs = encoder.forward(x);
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

    /// <summary>KL(q(z|x) ‖ N(0, I)) split over the latent dimensions, [B, D]; the rows sum to the total.</summary>
    public Tensor KlPerDimension(GaussianPosterior posterior) => posterior.Cholesky is null
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

    public int LatentDimension => _options.LatentDim;

    /// <summary>log q(z|x) = −½[D log 2π + log det Σ + ‖ε‖²] for z = μ + Σ^½ε: noise [..., B, D] → [..., B].</summary>
    public Tensor LogPosterior(GaussianPosterior posterior, Tensor noise) =>
        -0.5 * (_options.LatentDim * LogTwoPi + posterior.LogVariance.sum(-1) + noise.square().sum(-1));

    /// <summary>log N(z; 0, I) = −½[D log 2π + ‖z‖²]: [..., D] → [...].</summary>
    public Tensor LogPrior(Tensor z) => -0.5 * (_options.LatentDim * LogTwoPi + z.square().sum(-1));

    /// <summary>z → the decoder's raw output: logits of Bernoulli pixels, or the pre-activation mean of a Gaussian.</summary>
    public Tensor DecoderOutput(Tensor z) => decoder.forward(z);

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
    public double KlWeight(LossContext context) =>
        _options.KlWarmup <= 0 || context.Position is not { } position ? _options.Beta : _options.Beta * Math.Min(1, position.EpochProgress / _options.KlWarmup);

    /// <summary>
    /// recon + weight·KL, per example (batch mean), with the terms "recon" (−log p(x|z) for one draw)
    /// and "kl" (the exact KL, before any free-bits floor). With λ = 1 and no warm-up or free bits,
    /// the total is the single-sample estimate of the negative ELBO.
    /// </summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        var posterior = Infer(x);
        var z = Draw(posterior, randn_like(posterior.Mean));
        var reconstruction = -LogLikelihood(decoder.forward(z), x).mean();
        var klPerDimension = KlPerDimension(posterior).mean([0]);        // [B, D] -> [D], batch-averaged
        var kl = klPerDimension.sum();
        // Free bits (training only): max(floor, KLⱼ) per dimension, so a dimension below the floor gets
        // no gradient pulling it further towards the prior.
        var regulariser = _options.FreeBits > 0 && context.IsTraining ? klPerDimension.clamp_min(_options.FreeBits).sum() : kl;
        var total = reconstruction + KlWeight(context) * regulariser;
        return new LossTerms(total, (LossTerms.Reconstruction, reconstruction), (KlTerm, kl));
    }
}
