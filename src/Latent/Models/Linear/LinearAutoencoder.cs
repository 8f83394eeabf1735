using Latent.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Models.Linear;

/// <summary>
/// The linear autoencoder: encoder z = U(x − μ), decoder x̂ = Vz + μ, with U [K, F] and V [F, K]
/// trained by gradient descent on the squared reconstruction error ‖VUX̃ − X̃‖² of the centred data
/// X̃ (averaged per element). With tied weights (<see cref="LinearOptions.Tied"/>) the decoder is the
/// encoder's transpose, V = Uᵀ.
/// <para>
/// Why it equals PCA: VU has rank ≤ K, and by Eckart–Young (1936) the best rank-K approximation of
/// X̃ is its truncated SVD, so the optimum error is PCA's and the optimal VU is the orthogonal
/// projector onto the top-K principal subspace. Every local minimum is global and the other critical
/// points are saddles (Baldi &amp; Hornik 1989), so gradient descent gets there; but it finds the
/// subspace, not the principal axes: U and V are determined only up to an invertible K × K matrix
/// (V → VA, U → A⁻¹U; orthogonal A with tied weights).
/// </para>
/// <para>
/// Centring: μ is not learned but estimated, like a batch-norm layer's running mean: in training
/// mode every batch is averaged into the <c>mean</c> buffer (weighted by the examples seen, so it is
/// the exact training mean after the first epoch). Biases z = Ux + b, x̂ = Vz + c would reach the
/// same optimum (c = μ − V(Uμ + b)), but uncentred inputs make the problem ill-conditioned: the
/// gradient for U is dominated by the mean direction, and on a table with an offset mean they
/// converge an order of magnitude more slowly.
/// </para>
/// <para>
/// The decoder is linear all the way: no output sigmoid, even for images, since a squashing output
/// would leave the class whose optimum is PCA. State-dict keys, as a PyTorch module with two
/// bias-free <c>nn.Linear</c> and two buffers: <c>encoder.weight</c> [K, F], <c>decoder.weight</c>
/// [F, K] (untied only), <c>mean</c> [F] and <c>mean_count</c> (examples averaged into it).
/// </para>
/// </summary>
public sealed class LinearAutoencoder : Autoencoder, ILinearCode
{
    private readonly TorchSharp.Modules.Linear encoder;
    private readonly TorchSharp.Modules.Linear? decoder;
    // Registered by name (snake_case, as a PyTorch module would): μ [F] and the examples averaged into it.
    readonly Tensor _mean;
    readonly Tensor _meanCount;

    /// <summary>Builds U [K, F] and, unless tied, V [F, K] as bias-free linear maps, with μ = 0 until the first training batch.</summary>
    /// <param name="options">K (<see cref="ModelOptions.LatentDim"/>) and whether V = Uᵀ.</param>
    /// <param name="shape">The shape of one example; F is its size.</param>
    public LinearAutoencoder(LinearOptions options, DataShape shape) : base("linear", options, shape)
    {
        encoder = nn.Linear(shape.Size, options.LatentDim, hasBias: false);
        decoder = options.Tied ? null : nn.Linear(options.LatentDim, shape.Size, hasBias: false);
        _mean = zeros(shape.Size);
        _meanCount = zeros([], ScalarType.Float64);
        register_buffer("mean", _mean);
        register_buffer("mean_count", _meanCount);
        RegisterComponents();
    }

    /// <summary>The options the model was built from, as the linear family's own record.</summary>
    public new LinearOptions Options => (LinearOptions)base.Options;

    /// <summary>V [F, K]: the decoder's columns, whose span is what Eckart–Young predicts.</summary>
    public Tensor DecoderColumns => decoder is null ? encoder.weight!.T : decoder.weight!;

    /// <summary>μ [F]: the running mean of the training examples seen so far.</summary>
    public Tensor Mean => _mean;

    // [B, ...shape] -> [B, F] -> [B, K]
    /// <summary>x [B, ...shape] → z = U(x − μ) [B, K].</summary>
    public override Tensor Encode(Tensor x) => encoder.forward(Centre(x.flatten(1)));

    /// <summary>z [B, K] → x̂ = Vz + μ [B, ...shape] (V = Uᵀ when tied), with no squashing output even for images.</summary>
    public override Tensor Decode(Tensor z)
    {
        // [B, K] -> [B, F] -> [B, ...shape]
        var flat = decoder is null ? z.matmul(encoder.weight!) : decoder.forward(z);
        return flat.add(_mean).reshape([z.shape[0], .. Shape.Dimensions]);
    }

    /// <summary>x − μ; in training mode the batch is first averaged into μ: μ ← μ + (Σx − Bμ) / (n + B).</summary>
    Tensor Centre(Tensor x)
    {
        if (training)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            long batch = x.shape[0];
            _meanCount.add_(batch);
            _mean.add_((x.detach().sum([0]) - _mean * batch) / _meanCount.to(_mean.dtype));
        }
        return x - _mean;
    }

    /// <summary>
    /// The squared reconstruction error ‖x̂ − x‖², mean per element: one term, <see cref="LossTerms.Reconstruction"/>.
    /// </summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        var reconstruction = nn.functional.mse_loss(Reconstruct(x), x);
        return new LossTerms(reconstruction, (LossTerms.Reconstruction, reconstruction));
    }
}
