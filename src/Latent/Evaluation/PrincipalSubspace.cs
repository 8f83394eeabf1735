using Latent.Data;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Evaluation;

/// <summary>
/// How close a model with a linear decoder x̂ = Vz + c comes to PCA, the optimum of its class.
/// <list type="bullet">
/// <item><c>pca_optimum_mse</c>: the test MSE of PCA with the same K components fitted on the
/// training split, the Eckart–Young optimum among rank-K linear reconstructions (on the training
/// data exactly; on test data up to sampling).</item>
/// <item><c>principal_angle_max_deg</c>: the largest principal angle (Björck &amp; Golub 1973)
/// between the column space of V and the span of the top-K principal components; 0° when the model
/// has found the principal subspace, whatever basis it uses inside it.</item>
/// </list>
/// </summary>
public static class PrincipalSubspace
{
    /// <summary>The figure <c>pca_optimum_mse</c>: test reconstruction error of PCA with as many components as the latent dimension, fitted on the training split (the Eckart–Young optimum for linear codes).</summary>
    public static readonly MetricKey PcaOptimum = new("pca_optimum_mse",
        "test reconstruction error of PCA with as many components as the latent dimension, fitted on the training split (the Eckart–Young optimum for linear codes)");
    /// <summary>The figure <c>principal_angle_max_deg</c>: largest principal angle between the decoder's column space and the top-K PCA subspace of the training split, in degrees (0 when a linear autoencoder has found the principal subspace).</summary>
    public static readonly MetricKey LargestAngle = new("principal_angle_max_deg",
        "largest principal angle between the decoder's column space and the top-K PCA subspace of the training split, in degrees");

    /// <summary>
    /// Both figures for a decoder whose columns are <paramref name="decoderColumns"/> [F, K]; empty
    /// when <see cref="EvaluationOptions.TrainingSplit"/> is not given or has fewer than K examples.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Compare(Tensor decoderColumns, Dataset test, EvaluationOptions options)
    {
        var figures = new Dictionary<string, double>();
        if (options.TrainingSplit is null) return figures;
        var train = options.TrainingSplit.Value;
        int components = (int)decoderColumns.shape[1];
        if (components > train.Count || components > train.Shape.Size) return figures;

        using var pca = PcaModel.Fitted(train, components);
        figures[PcaOptimum.Name] = Evaluator.ReconstructionError(pca, test, options.BatchSize);
        using var noGrad = no_grad();
        using var principal = pca.Components.T;
        figures[LargestAngle.Name] = LargestAngleDegrees(decoderColumns, principal);
        return figures;
    }

    /// <summary>
    /// The principal angles θ₁ ≤ … ≤ θ_K in degrees between the column spaces of
    /// <paramref name="a"/> and <paramref name="b"/> (both [F, K]): with orthonormal bases Q_a, Q_b,
    /// cos θ_i are the singular values of Q_aᵀQ_b. A rank-deficient <paramref name="a"/> spans fewer
    /// than K dimensions and misses a direction of <paramref name="b"/> entirely: its largest angle is 90°.
    /// </summary>
    public static double[] AnglesDegrees(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (basisA, fullRankA) = Orthonormal(a);
        var (basisB, _) = Orthonormal(b);
        var cosines = PrincipalComponents.OnOneThread(() => linalg.svdvals(basisA.T.matmul(basisB))).clamp(0, 1);           // descending, so θ ascending
        var angles = cosines.data<double>().Select(c => Math.Acos(c) * 180 / Math.PI).ToArray();
        if (!fullRankA) angles[^1] = 90;
        return angles;
    }

    /// <summary>
    /// θ_K in degrees, as atan2(sin θ_K, cos θ_K): sin θ_K = ‖(I − Q_aQ_aᵀ)Q_b‖₂ keeps small angles
    /// accurate where arccos of a cosine near 1 would lose half the digits.
    /// </summary>
    public static double LargestAngleDegrees(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (basisA, fullRankA) = Orthonormal(a);
        var (basisB, _) = Orthonormal(b);
        if (!fullRankA) return 90;
        var overlap = basisA.T.matmul(basisB);                                          // [K, K]
        double cosine = PrincipalComponents.OnOneThread(() => linalg.svdvals(overlap)).min().item<double>();
        double sine = PrincipalComponents.OnOneThread(() => linalg.svdvals(basisB - basisA.matmul(overlap))).max().item<double>();
        return Math.Atan2(sine, cosine) * 180 / Math.PI;
    }

    /// <summary>An orthonormal basis [F, K] of the column space (left singular vectors, float64), and whether it has full rank K.</summary>
    static (Tensor Basis, bool FullRank) Orthonormal(Tensor columns)
    {
        var (left, singular, _) = PrincipalComponents.OnOneThread(() => linalg.svd(columns.detach().to(ScalarType.Float64), fullMatrices: false));
        double largest = singular.max().item<double>(), smallest = singular.min().item<double>();
        return (left, largest > 0 && smallest > largest * 1e-6);
    }
}
