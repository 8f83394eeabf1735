using Latent.Data;
using Latent.Evaluation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.Linear;

/// <summary>
/// The linear autoencoder: encoder z = Ux + b, decoder x̂ = Vz + c, trained by gradient descent on
/// the squared reconstruction error ‖VUX − X‖² (here with biases, averaged per element). With tied
/// weights (<see cref="LinearOptions.Tied"/>) the decoder is the encoder's transpose, V = Uᵀ.
/// <para>
/// Why it equals PCA: the biases centre the data (at the optimum c = μ − V(Uμ + b), so the problem
/// becomes min ‖VUX̃ − X̃‖² on the centred X̃), and the product VU has rank ≤ K. By Eckart–Young (1936)
/// the best rank-K approximation of X̃ is its truncated SVD, so the optimum error is PCA's and the
/// optimal VU is the orthogonal projector onto the top-K principal subspace. Every local minimum is
/// global and the other critical points are saddles (Baldi &amp; Hornik 1989), so gradient descent gets
/// there; but it finds the subspace, not the principal axes themselves: U and V are determined only up
/// to an invertible K × K matrix (V → VA, U → A⁻¹U), orthogonal with tied weights.
/// </para>
/// <para>
/// The decoder is linear all the way: no output sigmoid, even for images, since a squashing output
/// would leave the class whose optimum is PCA. State-dict keys: <c>encoder.weight</c> [K, F],
/// <c>encoder.bias</c> [K], <c>decoder.weight</c> [F, K] (untied only) and <c>decoder.bias</c> [F],
/// as a PyTorch module with two <c>nn.Linear</c> (or, tied, a decoder holding only its bias).
/// </para>
/// </summary>
public sealed class LinearAutoencoder : Autoencoder
{
    private readonly TorchSharp.Modules.Linear encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;

    public LinearAutoencoder(LinearOptions options, DataShape shape) : base("linear", options, shape)
    {
        encoder = nn.Linear(shape.Size, options.LatentDim);
        decoder = options.Tied ? new OutputBias(shape.Size) : nn.Linear(options.LatentDim, shape.Size);
        RegisterComponents();
    }

    public new LinearOptions Options => (LinearOptions)base.Options;

    /// <summary>V [F, K]: the decoder's columns, whose span is what Eckart–Young predicts.</summary>
    public Tensor DecoderColumns => Options.Tied ? encoder.weight!.T : ((TorchSharp.Modules.Linear)decoder).weight!;

    // [B, ...shape] -> [B, F] -> [B, K]
    public override Tensor Encode(Tensor x) => encoder.forward(x.flatten(1));

    public override Tensor Decode(Tensor z)
    {
        // [B, K] -> [B, F] -> [B, ...shape]
        var flat = Options.Tied ? decoder.forward(z.matmul(encoder.weight!)) : decoder.forward(z);
        return flat.reshape([z.shape[0], .. Shape.Dimensions]);
    }

    public override LossTerms Loss(Tensor x, TrainingStep step)
    {
        var reconstruction = nn.functional.mse_loss(Reconstruct(x), x);
        return new LossTerms(reconstruction, ("recon", reconstruction));
    }

    /// <summary><c>pca_optimum_mse</c> and <c>principal_angle_max_deg</c> (see <see cref="PrincipalSubspace"/>).</summary>
    public override IReadOnlyDictionary<string, double> Evaluate(Dataset test, EvaluationOptions options)
    {
        using var noGrad = no_grad();
        return PrincipalSubspace.Compare(DecoderColumns, test, options);
    }

    /// <summary>The tied decoder's only parameter: x̂ = Uᵀz + c adds c [F] to what the encoder's transpose gives.</summary>
    sealed class OutputBias : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter bias;

        public OutputBias(int features) : base(nameof(OutputBias))
        {
            bias = nn.Parameter(zeros(features));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => input + bias;
    }
}
