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

/// <summary>
/// Options of the variational autoencoder: loss = recon + λ·KL(q(z|x) ‖ N(0, I)), with the two
/// training-time cures for posterior collapse (KL warm-up, free bits).
/// </summary>
public sealed record VaeOptions : ModelOptions
{
    [Description("weight λ of the KL term in recon + λ·KL; 1 makes the loss the negative ELBO, 0 drops the regulariser (a noisy plain autoencoder)")]
    public double Beta { get; init; } = 1;

    [Description("decoder likelihood p(x|z): bernoulli (binary cross-entropy, data in [0,1]) or gaussian")]
    public Likelihood Likelihood { get; init; } = Likelihood.Bernoulli;

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
        if (Likelihood == Likelihood.Bernoulli && !shape.IsUnitRange)
            throw new UserInputException($"--likelihood bernoulli needs data in [0, 1] but the data are {shape}; pass --likelihood gaussian");
        if (LearnVariance && Likelihood != Likelihood.Gaussian)
            throw new UserInputException("--learn-variance applies to the gaussian likelihood only; pass --likelihood gaussian or drop --learn-variance");
        if (Covariance == Covariance.Full && LatentDim > 256)
            throw new UserInputException($"--covariance full with --latent-dim {LatentDim} needs {LatentDim * (LatentDim + 1) / 2} encoder outputs per example; pass --latent-dim 256 or less, or --covariance diagonal");
    }
}
