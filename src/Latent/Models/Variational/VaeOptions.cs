using System.Globalization;
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
    /// <summary>
    /// A discretised logistic over the 256 levels of 8-bit pixels (Kingma et al. 2016; Salimans et al. 2017): the mass of each
    /// level's bin of width 1/255 under a logistic of mean μ (the decoder's output) and a learned scale, so that −log p(x|z) is the
    /// negative log-probability of the 8-bit data; for images only.
    /// </summary>
    DiscretizedLogistic,
}

/// <summary>Whether the VAE sees grey levels or binary pixels drawn from them.</summary>
public enum Binarization
{
    /// <summary>The pixels as they are (grey levels in [0, 1]).</summary>
    None,
    /// <summary>
    /// Dynamic binarisation (the protocol of Burda et al. 2016, after Salakhutdinov &amp; Murray 2008): every time a training batch is
    /// seen, each pixel is replaced by a fresh draw x ~ Bernoulli(pixel); evaluation binarises the test split once, with a fixed seed.
    /// </summary>
    Dynamic,
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
    /// <summary>
    /// Weight λ (the β of the β-VAE, Higgins et al. 2017) of the KL term in recon + λ·KL. 1, the default, makes the loss the negative
    /// ELBO (Kingma &amp; Welling 2014, eq. 3); larger values trade reconstruction for a more factorised code; 0 drops the regulariser.
    /// </summary>
    [Description("weight λ of the KL term in recon + λ·KL; 1 makes the loss the negative ELBO, 0 drops the regulariser (a noisy plain autoencoder)")]
    public double Beta { get; init; } = 1;

    /// <summary>
    /// The decoder's likelihood p(x|z), which sets the reconstruction term: Bernoulli (binary cross-entropy, data in [0, 1]) or
    /// Gaussian (squared error / 2σ², of standardised columns for tables) or the discretised logistic of 8-bit images. Null, the default,
    /// chooses by the data (<see cref="LikelihoodFor"/>).
    /// </summary>
    [Description("decoder likelihood p(x|z): bernoulli (binary cross-entropy, data in [0,1]), gaussian (of standardised columns for tables) or discretized-logistic (8-bit images: a negative log-likelihood of the data, reported also in bits per dimension); unset: bernoulli for images, gaussian otherwise")]
    public Likelihood? Likelihood { get; init; }

    /// <summary>
    /// Dynamic binarisation of images for the Bernoulli likelihood: none (the default: the Bernoulli is scored against grey levels,
    /// which is not a density of the data), or dynamic (a fresh x ~ Bernoulli(pixel) every time a training batch is seen, the test
    /// split binarised once with a fixed seed, so that −ELBO and IWAE are negative log-likelihoods of binary data).
    /// </summary>
    [Description("binarise images for the bernoulli likelihood: none, or dynamic (a fresh x ~ Bernoulli(pixel) each time a batch is seen; the test split binarised once, seeded), making the nats a negative log-likelihood of binary data")]
    public Binarization Binarize { get; init; } = Binarization.None;

    /// <summary>
    /// σ² of the Gaussian likelihood: the reconstruction term is ‖x − x̂‖² / 2σ² per element, so a smaller σ² weighs reconstruction
    /// more against the KL; the starting value under <see cref="LearnVariance"/>.
    /// </summary>
    [Description("variance σ² of the gaussian likelihood (its starting value with --learn-variance)")]
    public double Variance { get; init; } = 0.01;

    /// <summary>
    /// Learn one shared log σ² of the Gaussian likelihood with the network (the σ-VAE of Rybkin et al. 2021), which balances
    /// reconstruction and KL by itself instead of through <see cref="Variance"/>.
    /// </summary>
    [Description("learn one shared log σ² of the gaussian likelihood with the network (σ-VAE)")]
    public bool LearnVariance { get; init; }

    /// <summary>
    /// The encoder's posterior covariance: diagonal (the usual mean-field Gaussian, the default), or full through a Cholesky factor
    /// (D(D − 1)/2 more encoder outputs per example, the factor's strictly lower entries).
    /// </summary>
    [Description("encoder covariance: diagonal, or full (through a Cholesky factor)")]
    public Covariance Covariance { get; init; } = Covariance.Diagonal;

    /// <summary>
    /// Epochs over which the KL weight ramps linearly from 0 to λ (Bowman et al. 2016; Sønderby et al. 2016), a cure for posterior
    /// collapse; fractions of an epoch count by step. 0 (the default): no warm-up.
    /// </summary>
    [Description("epochs over which the KL weight ramps linearly from 0 to λ (0: no warm-up)")]
    public double KlWarmup { get; init; }

    /// <summary>
    /// Free bits (Kingma et al. 2016): a floor, in nats, under the batch-averaged KL of each latent dimension, so that no dimension
    /// gains by collapsing onto the prior. 0 (the default): off.
    /// </summary>
    [Description("free bits: floor, in nats, under the batch-averaged KL of each latent dimension (0: off)")]
    public double FreeBits { get; init; }

    /// <summary>How the weights start: PyTorch's defaults (the default) or He's N(0, 2/fan_in) with zero biases.</summary>
    [Description("initial weights: torch (PyTorch's defaults) or he (N(0, 2/fan_in), zero biases)")]
    public Nn.Initialisation Init { get; init; } = Nn.Initialisation.Torch;

    /// <summary>The VAE standardises table columns (<see cref="ModelOptions.Standardize"/>).</summary>
    protected override bool StandardizesTables => true;
    /// <summary>A label-conditioned decoder (and encoder): the CVAE of Sohn et al. 2015.</summary>
    protected override bool ConditionsOnLabels => true;

    /// <summary>
    /// The likelihood on data of <paramref name="shape"/>: the one asked for, else the one the data call for:
    /// Bernoulli for images (pixels in [0, 1]), Gaussian for everything else (table rows).
    /// </summary>
    public Likelihood LikelihoodFor(DataShape shape) =>
        Likelihood ?? (shape.IsUnitRange ? Variational.Likelihood.Bernoulli : Variational.Likelihood.Gaussian);
    /// <summary>
    /// The regulariser beside the reconstruction: λ·KL (the β-VAE, the default), capacity annealing γ·|KL − C| (Burgess et al. 2018),
    /// or the β-TCVAE decomposition α·MI + β·TC + γ·dimension-wise KL (Chen et al. 2018).
    /// </summary>
    [Description("regulariser beside the reconstruction: kl (λ·KL, the β-VAE), capacity (γ·|KL − C|, Burgess et al. 2018) or total-correlation (α·MI + β·TC + γ·dimension-wise KL, β-TCVAE)")]
    public Regulariser Regulariser { get; init; } = Regulariser.Kl;

    /// <summary>
    /// Capacity annealing: C_max, in nats, the KL target that rises linearly from 0; 25 as Burgess et al. 2018 use on dSprites.
    /// </summary>
    [Description("capacity C_max, nats: the KL target that rises linearly from 0")]
    public double CapacityMax { get; init; } = 25;

    /// <summary>Capacity annealing: epochs over which C rises from 0 to <see cref="CapacityMax"/> (0: C_max from the start).</summary>
    [Description("epochs over which the capacity C rises from 0 to --capacity-max (0: C_max from the start)")]
    public double CapacityEpochs { get; init; } = 20;

    /// <summary>
    /// Capacity annealing: γ, the weight of |KL − C|; large (1000, as Burgess et al. 2018) so that the KL tracks C closely.
    /// </summary>
    [Description("weight γ of |KL − C|")]
    public double CapacityWeight { get; init; } = 1000;

    /// <summary>
    /// β-TCVAE: α, the weight of the index-code mutual information I(x; z) (Chen et al. 2018, eq. 2); 1 as the ELBO has it.
    /// </summary>
    [Description("weight α of the index-code mutual information I(x; z)")]
    public double MiWeight { get; init; } = 1;

    /// <summary>
    /// β-TCVAE: β, the weight of the total correlation KL(q(z) ‖ Πⱼ q(zⱼ)), the term that rewards independent dimensions; 6 as in
    /// Chen et al. 2018's experiments.
    /// </summary>
    [Description("weight β of the total correlation KL(q(z) ‖ Πⱼ q(zⱼ))")]
    public double TcWeight { get; init; } = 6;

    /// <summary>β-TCVAE: γ, the weight of the dimension-wise KL Σⱼ KL(q(zⱼ) ‖ p(zⱼ)); 1 as the ELBO has it.</summary>
    [Description("weight γ of the dimension-wise KL Σⱼ KL(q(zⱼ) ‖ p(zⱼ))")]
    public double DimensionKlWeight { get; init; } = 1;

    /// <summary>
    /// The prior p(z): N(0, I) (the default), or the VampPrior (Tomczak &amp; Welling 2018), a uniform mixture of the encoder's posteriors at
    /// <see cref="PseudoInputs"/> learned pseudo-inputs.
    /// </summary>
    [Description("prior p(z): standard (N(0, I)) or vamp (a mixture of the posteriors of --pseudo-inputs learned pseudo-inputs)")]
    public Prior Prior { get; init; } = Prior.Standard;

    /// <summary>VampPrior: K, the learned pseudo-inputs, at most the training examples; 500 as Tomczak &amp; Welling 2018.</summary>
    [Description("K, the learned pseudo-inputs of the VampPrior")]
    public int PseudoInputs { get; init; } = 500;

    /// <summary>
    /// Importance samples K of the training objective: 1 (the default) is the ELBO, more the tighter IWAE bound
    /// log (1/K) Σₖ p(x, zₖ)/q(zₖ|x) (Burda et al. 2016), at K times the decoder's cost.
    /// </summary>
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

    /// <summary>
    /// What brings collapsed units back, among the options this objective uses: a KL warm-up, free bits and a lower β for
    /// the KL regulariser, a larger capacity for capacity annealing, a lighter dimension-wise KL for the β-TCVAE, and a
    /// smaller latent for all.
    /// </summary>
    internal IReadOnlyList<string> CollapseCures()
    {
        var cures = new List<string>();
        if (Uses(nameof(KlWarmup))) cures.Add("--kl-warmup 10");
        if (Uses(nameof(FreeBits))) cures.Add("--free-bits 0.25");
        if (Uses(nameof(Beta))) cures.Add(string.Create(CultureInfo.InvariantCulture, $"a --beta below {Beta:G3}"));
        if (Uses(nameof(CapacityMax))) cures.Add(string.Create(CultureInfo.InvariantCulture, $"a --capacity-max above {CapacityMax:G3}"));
        if (Uses(nameof(DimensionKlWeight))) cures.Add(string.Create(CultureInfo.InvariantCulture, $"a --dimension-kl-weight below {DimensionKlWeight:G3}"));
        cures.Add($"a --latent-dim below {LatentDim}");
        return cures;
    }

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
            throw new UserInputException($"{nameof(PseudoInputs)} {PseudoInputs} exceeds the {trainingExamples} training examples; pass {nameof(PseudoInputs)} {Math.Max(1, Math.Min(500, trainingExamples / 10))} or fewer",
                nameof(PseudoInputs));
    }

    /// <summary>
    /// Throws a <see cref="UserInputException"/> naming the first option out of its range, or a combination that has no
    /// meaning: a likelihood the data cannot take, a regulariser or prior the posterior's covariance cannot serve.
    /// </summary>
    public override void Validate(DataShape shape)
    {
        base.Validate(shape);
        if (!(Beta >= 0) || !double.IsFinite(Beta))
            throw new UserInputException($"{nameof(Beta)} {Beta} must be zero or positive; pass e.g. {nameof(Beta)} 1 (the ELBO) or {nameof(Beta)} 0 (no regulariser)", nameof(Beta));
        if (!(Variance > 0) || !double.IsFinite(Variance))
            throw new UserInputException($"{nameof(Variance)} {Variance} must be positive; pass e.g. {nameof(Variance)} 0.01", nameof(Variance));
        if (!(KlWarmup >= 0) || !double.IsFinite(KlWarmup))
            throw new UserInputException($"{nameof(KlWarmup)} {KlWarmup} must be zero (off) or a number of epochs, e.g. 5", nameof(KlWarmup));
        if (!(FreeBits >= 0) || !double.IsFinite(FreeBits))
            throw new UserInputException($"{nameof(FreeBits)} {FreeBits} must be zero (off) or nats per dimension, e.g. 0.25", nameof(FreeBits));
        if (shape.Kind == DataKind.Tokens)
            throw new UserInputException($"{FamilyOption} vae has no likelihood for {shape}; use {FamilyOption} dae for token data", FamilyOption);
        if (LikelihoodFor(shape) == Variational.Likelihood.Bernoulli && !shape.IsUnitRange)
            throw new UserInputException($"{nameof(Likelihood)} bernoulli needs data in [0, 1] but the data are {shape}; pass {nameof(Likelihood)} gaussian", nameof(Likelihood));
        if (LikelihoodFor(shape) == Variational.Likelihood.DiscretizedLogistic && !shape.IsUnitRange)
            throw new UserInputException($"{nameof(Likelihood)} discretized-logistic is a likelihood of 8-bit pixels in [0, 1] but the data are {shape}; pass {nameof(Likelihood)} gaussian", nameof(Likelihood));
        if (Binarize != Binarization.None && LikelihoodFor(shape) != Variational.Likelihood.Bernoulli)
            throw new UserInputException($"{nameof(Binarize)} dynamic draws binary pixels for the bernoulli likelihood of images; pass {nameof(Likelihood)} bernoulli on image data, or drop {nameof(Binarize)}",
                nameof(Binarize), nameof(Likelihood));
        if (LearnVariance && LikelihoodFor(shape) != Variational.Likelihood.Gaussian)
            throw new UserInputException($"{nameof(LearnVariance)} applies to the gaussian likelihood only; pass {nameof(Likelihood)} gaussian or drop {nameof(LearnVariance)}",
                nameof(LearnVariance), nameof(Likelihood));
        foreach (var (name, weight) in new[] { (nameof(CapacityMax), CapacityMax), (nameof(CapacityEpochs), CapacityEpochs), (nameof(CapacityWeight), CapacityWeight),
                                               (nameof(MiWeight), MiWeight), (nameof(TcWeight), TcWeight), (nameof(DimensionKlWeight), DimensionKlWeight) })
            if (!(weight >= 0) || !double.IsFinite(weight))
                throw new UserInputException($"{name} {weight} must be zero or positive; pass e.g. {name} {(name == nameof(TcWeight) ? "6" : "1")}", name);
        if (PseudoInputs < 1)
            throw new UserInputException($"{nameof(PseudoInputs)} {PseudoInputs} must be at least 1; pass e.g. {nameof(PseudoInputs)} 500", nameof(PseudoInputs));
        if (TrainSamples < 1)
            throw new UserInputException($"{nameof(TrainSamples)} {TrainSamples} must be at least 1 (1 is the ELBO); pass e.g. {nameof(TrainSamples)} 5", nameof(TrainSamples));
        if (Regulariser == Regulariser.TotalCorrelation && Prior != Prior.Standard)
            throw new UserInputException($"{nameof(Regulariser)} total-correlation needs a factorised prior (its dimension-wise KL is per dimension); pass {nameof(Prior)} standard",
                nameof(Regulariser), nameof(Prior));
        if (Regulariser == Regulariser.TotalCorrelation && Covariance != Covariance.Diagonal)
            throw new UserInputException($"{nameof(Regulariser)} total-correlation estimates q(z) from diagonal posteriors; pass {nameof(Covariance)} diagonal",
                nameof(Regulariser), nameof(Covariance));
        if (Prior == Prior.Vamp && Condition == Conditioning.Label)
            throw new UserInputException($"{nameof(Prior)} vamp has pseudo-inputs without labels, so it cannot be conditioned; pass {nameof(Prior)} standard with {nameof(Condition)} label", nameof(Prior), nameof(Condition));
        if (Prior == Prior.Vamp && Covariance != Covariance.Diagonal)
            throw new UserInputException($"{nameof(Prior)} vamp mixes diagonal posteriors; pass {nameof(Covariance)} diagonal", nameof(Prior), nameof(Covariance));
        if (Covariance == Covariance.Full && LatentDim > 256)
            throw new UserInputException($"{nameof(Covariance)} full with {nameof(LatentDim)} {LatentDim} needs {LatentDim * (LatentDim + 1) / 2} encoder outputs per example; pass {nameof(LatentDim)} 256 or less, or {nameof(Covariance)} diagonal",
                nameof(Covariance), nameof(LatentDim));
    }
}
