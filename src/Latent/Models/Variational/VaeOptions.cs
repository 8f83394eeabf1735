using System.ComponentModel;
using Latent.Data;

namespace Latent.Models.Variational;

/// <summary>The decoder's likelihood p(x | z): what "reconstruction error" means in nats.</summary>
public enum Likelihood
{
    /// <summary>Independent Bernoulli pixels with probabilities sigmoid(logits): binary cross-entropy, for data in [0, 1].</summary>
    Bernoulli,
    /// <summary>Independent Gaussians N(x̂, σ²) around the decoder's output, σ² fixed or learned.</summary>
    Gaussian,
}

/// <summary>The form of the encoder's covariance Σ(x).</summary>
public enum Covariance
{
    /// <summary>Σ = diag(exp(logVariance)): D numbers per example.</summary>
    Diagonal,
    /// <summary>Σ = L·Lᵀ with L lower triangular (a Cholesky factor): D(D+1)/2 numbers per example.</summary>
    Full,
}

/// <summary>What the VAE's objective puts beside the reconstruction term: the variants of the regulariser.</summary>
public enum Regulariser
{
    /// <summary>λ·KL(q(z|x) ‖ p(z)): the ELBO at λ = 1, the β-VAE of Higgins et al. (2017) at λ &gt; 1.</summary>
    Kl,
    /// <summary>γ·|KL − C| with the target C rising linearly to a maximum (Burgess et al. 2018, "Understanding disentangling in β-VAE", eq. 8).</summary>
    Capacity,
    /// <summary>α·MI + β·TC + γ·dimension-wise KL, the KL split by minibatch-weighted sampling (Chen et al. 2018, β-TCVAE, eq. 2 and §4.1).</summary>
    TotalCorrelation,
}

/// <summary>The prior p(z) of the VAE.</summary>
public enum Prior
{
    /// <summary>N(0, I).</summary>
    Standard,
    /// <summary>The VampPrior: (1/K) Σₖ q(z | uₖ), a mixture of the posteriors of K learned pseudo-inputs (Tomczak &amp; Welling 2018).</summary>
    Vamp,
}

/// <summary>
/// Options of the variational autoencoder: loss = recon + λ·KL(q(z|x) ‖ p(z)), with the two
/// training-time cures for posterior collapse (KL warm-up, free bits), and its variants: the
/// regulariser (KL, capacity annealing, the β-TCVAE split), the prior (N(0, I) or the VampPrior) and the
/// number of importance samples of the training objective (the IWAE).
/// </summary>
public sealed record VaeOptions : ModelOptions
{
    [Description("weight λ of the KL term in recon + λ·KL; 1 makes the loss the negative ELBO, 0 drops the regulariser (a noisy plain autoencoder)")]
    public double Beta { get; init; } = 1;

    [Description("decoder likelihood p(x|z): bernoulli (binary cross-entropy, data in [0,1]) or gaussian (of standardised columns for tables); unset: bernoulli for images, gaussian otherwise")]
    public Likelihood? Likelihood { get; init; }

    [Description("variance σ² of the gaussian likelihood (its starting value with --learn-variance)")]
    public double Variance { get; init; } = 0.01;

    [Description("learn one shared log σ² of the gaussian likelihood with the network (σ-VAE)")]
    public bool LearnVariance { get; init; }

    [Description("encoder covariance: diagonal, or full (through a Cholesky factor)")]
    public Covariance Covariance { get; init; } = Covariance.Diagonal;

    [Description("epochs over which the KL weight ramps linearly from 0 to λ (0: no warm-up)")]
    public double KlWarmup { get; init; }

    [Description("free bits: floor, in nats, under the batch-averaged KL of each latent dimension (0: off)")]
    public double FreeBits { get; init; }

    [Description("initial weights: torch (PyTorch's defaults) or he (N(0, 2/fan_in), zero biases)")]
    public Nn.Initialisation Init { get; init; } = Nn.Initialisation.Torch;

    protected override bool StandardizesTables => true;
    /// <summary>A label-conditioned decoder (and encoder): the CVAE of Sohn et al. 2015.</summary>
    protected override bool ConditionsOnLabels => true;

    /// <summary>
    /// The likelihood on data of <paramref name="shape"/>: the one asked for, else the one the data call for:
    /// Bernoulli for images (pixels in [0, 1]), Gaussian for everything else (table rows).
    /// </summary>
    public Likelihood LikelihoodFor(DataShape shape) =>
        Likelihood ?? (shape.IsUnitRange ? Variational.Likelihood.Bernoulli : Variational.Likelihood.Gaussian);
    [Description("regulariser beside the reconstruction: kl (λ·KL, the β-VAE), capacity (γ·|KL − C|, Burgess et al. 2018) or total-correlation (α·MI + β·TC + γ·dimension-wise KL, β-TCVAE)")]
    public Regulariser Regulariser { get; init; } = Regulariser.Kl;

    [Description("capacity C_max, nats: the KL target that rises linearly from 0")]
    public double CapacityMax { get; init; } = 25;

    [Description("epochs over which the capacity C rises from 0 to --capacity-max (0: C_max from the start)")]
    public double CapacityEpochs { get; init; } = 20;

    [Description("weight γ of |KL − C|")]
    public double CapacityWeight { get; init; } = 1000;

    [Description("weight α of the index-code mutual information I(x; z)")]
    public double MiWeight { get; init; } = 1;

    [Description("weight β of the total correlation KL(q(z) ‖ Πⱼ q(zⱼ))")]
    public double TcWeight { get; init; } = 6;

    [Description("weight γ of the dimension-wise KL Σⱼ KL(q(zⱼ) ‖ p(zⱼ))")]
    public double DimensionKlWeight { get; init; } = 1;

    [Description("prior p(z): standard (N(0, I)) or vamp (a mixture of the posteriors of --pseudo-inputs learned pseudo-inputs)")]
    public Prior Prior { get; init; } = Prior.Standard;

    [Description("K, the learned pseudo-inputs of the VampPrior")]
    public int PseudoInputs { get; init; } = 500;

    [Description("importance samples K of the training objective: 1 is the ELBO, more the IWAE bound log (1/K) Σₖ p(x,zₖ)/q(zₖ|x) (Burda et al. 2016)")]
    public int TrainSamples { get; init; } = 1;

    /// <summary>
    /// β and its schedules belong to the KL regulariser, the capacity's and the β-TCVAE's weights to theirs, the
    /// pseudo-inputs to the VampPrior; the IWAE objective is the plain bound, so it takes the KL regulariser
    /// at λ = 1 and nothing else (a weighted or floored KL is no longer a bound on log p(x)).
    /// </summary>
    public override bool Uses(string property) => property switch
    {
        nameof(Beta) or nameof(KlWarmup) => Regulariser == Regulariser.Kl && TrainSamples == 1,
        nameof(FreeBits) => Regulariser == Regulariser.Kl && TrainSamples == 1 && Prior == Prior.Standard,
        nameof(CapacityMax) or nameof(CapacityEpochs) or nameof(CapacityWeight) => Regulariser == Regulariser.Capacity,
        nameof(MiWeight) or nameof(TcWeight) or nameof(DimensionKlWeight) => Regulariser == Regulariser.TotalCorrelation,
        nameof(PseudoInputs) => Prior == Prior.Vamp,
        nameof(TrainSamples) => Regulariser == Regulariser.Kl,
        _ => base.Uses(property),
    };

    /// <summary>The variant each of its options belongs to, for help.</summary>
    public override string? UsedWhen(string property) => property switch
    {
        nameof(CapacityMax) or nameof(CapacityEpochs) or nameof(CapacityWeight) => "with --regulariser capacity",
        nameof(MiWeight) or nameof(TcWeight) or nameof(DimensionKlWeight) => "with --regulariser total-correlation",
        nameof(PseudoInputs) => "with --prior vamp",
        _ => null,
    };

    /// <summary>A VampPrior with more pseudo-inputs than training examples would only learn copies of them.</summary>
    public override void ValidateTrainingSet(long trainingExamples)
    {
        if (Prior == Prior.Vamp && PseudoInputs > trainingExamples)
            throw new UserInputException($"--pseudo-inputs {PseudoInputs} exceeds the {trainingExamples} training examples; pass --pseudo-inputs {Math.Max(1, Math.Min(500, trainingExamples / 10))} or fewer");
    }

    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        if (!(Beta >= 0) || !double.IsFinite(Beta))
            throw new UserInputException($"--beta {Beta} must be zero or positive; pass e.g. --beta 1 (the ELBO) or --beta 0 (no regulariser)");
        if (!(Variance > 0) || !double.IsFinite(Variance))
            throw new UserInputException($"--variance {Variance} must be positive; pass e.g. --variance 0.01");
        if (!(KlWarmup >= 0) || !double.IsFinite(KlWarmup))
            throw new UserInputException($"--kl-warmup {KlWarmup} must be zero (off) or a number of epochs, e.g. 5");
        if (!(FreeBits >= 0) || !double.IsFinite(FreeBits))
            throw new UserInputException($"--free-bits {FreeBits} must be zero (off) or nats per dimension, e.g. 0.25");
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"--model vae has no likelihood for {shape}; use --model dae for token data");
        if (LikelihoodFor(shape) == Variational.Likelihood.Bernoulli && !shape.IsUnitRange)
            throw new UserInputException($"--likelihood bernoulli needs data in [0, 1] but the data are {shape}; pass --likelihood gaussian");
        if (LearnVariance && LikelihoodFor(shape) != Variational.Likelihood.Gaussian)
            throw new UserInputException("--learn-variance applies to the gaussian likelihood only; pass --likelihood gaussian or drop --learn-variance");
        foreach (var (name, weight) in new[] { ("capacity-max", CapacityMax), ("capacity-epochs", CapacityEpochs), ("capacity-weight", CapacityWeight),
                                               ("mi-weight", MiWeight), ("tc-weight", TcWeight), ("dimension-kl-weight", DimensionKlWeight) })
            if (!(weight >= 0) || !double.IsFinite(weight))
                throw new UserInputException($"--{name} {weight} must be zero or positive; pass e.g. --{name} {(name == "tc-weight" ? "6" : "1")}");
        if (PseudoInputs < 1)
            throw new UserInputException($"--pseudo-inputs {PseudoInputs} must be at least 1; pass e.g. --pseudo-inputs 500");
        if (TrainSamples < 1)
            throw new UserInputException($"--train-samples {TrainSamples} must be at least 1 (1 is the ELBO); pass e.g. --train-samples 5");
        if (Regulariser == Regulariser.TotalCorrelation && Prior != Prior.Standard)
            throw new UserInputException("--regulariser total-correlation needs a factorised prior (its dimension-wise KL is per dimension); pass --prior standard");
        if (Regulariser == Regulariser.TotalCorrelation && Covariance != Covariance.Diagonal)
            throw new UserInputException("--regulariser total-correlation estimates q(z) from diagonal posteriors; pass --covariance diagonal");
        if (Prior == Prior.Vamp && Condition == Conditioning.Label)
            throw new UserInputException($"{nameof(Prior)} vamp has pseudo-inputs without labels, so it cannot be conditioned; pass {nameof(Prior)} standard with {nameof(Condition)} label", nameof(Prior), nameof(Condition));
        if (Prior == Prior.Vamp && Covariance != Covariance.Diagonal)
            throw new UserInputException("--prior vamp mixes diagonal posteriors; pass --covariance diagonal");
        if (Covariance == Covariance.Full && LatentDim > 256)
            throw new UserInputException($"--covariance full with --latent-dim {LatentDim} needs {LatentDim * (LatentDim + 1) / 2} encoder outputs per example; pass --latent-dim 256 or less, or --covariance diagonal");
    }
}
