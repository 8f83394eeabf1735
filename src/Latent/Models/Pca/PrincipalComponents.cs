using static TorchSharp.torch;

namespace Latent.Models.Pca;

/// <summary>
/// The principal axes of a data matrix: the mean (float32), the top-K eigenvectors of the sample
/// covariance (as rows, float64) and every eigenvalue in decreasing order.
/// </summary>
/// <param name="Mean">μ [F], the column means.</param>
/// <param name="Components">W [K, F], orthonormal rows, the k-th the eigenvector of the k-th largest eigenvalue.</param>
/// <param name="Variances">All min(N, F) eigenvalues λ₁ ≥ λ₂ ≥ … ≥ 0 of the covariance (ddof 1, as scikit-learn).</param>
/// <param name="TotalVariance">tr Σ, the sum of the column variances.</param>
public sealed record PrincipalAxes(Tensor Mean, Tensor Components, double[] Variances, double TotalVariance) : IDisposable
{
    /// <summary>Frees the mean and the components.</summary>
    public void Dispose()
    {
        Mean.Dispose();
        Components.Dispose();
    }
}

/// <summary>
/// Exact PCA (Pearson 1901; Hotelling 1933) of X [N, F] by a symmetric eigendecomposition of the
/// covariance Σ = X̃ᵀX̃ / (N − 1) of the centred data X̃ = X − 1μᵀ, or by the thin SVD
/// X̃ = U S Vᵀ (λ = s² / (N − 1)) when there are fewer rows than features.
/// <para>
/// Speed and exactness: for N ≥ F the cost is the Gram matrix X̃ᵀX̃, N·F² multiply-adds, computed
/// in float32 by MKL in two column halves so that the symmetric block below the diagonal is copied
/// rather than computed (¾ of the work), then decomposed by a float64 <c>eigh</c> (on one thread, see
/// <see cref="OnOneThread"/>). Accumulating in float32 keeps the eigenvalues to
/// ~2·10⁻⁷ relative error on Fashion-MNIST (float precision; the data are float32 to begin with), at
/// half the cost of a float64 Gram; bench/pca_vs_sklearn.sh checks this against numpy's float64
/// decomposition.
/// </para>
/// </summary>
public static class PrincipalComponents
{
    /// <summary>
    /// Eigenvalues below this fraction of the largest are not resolved by float32 data and are
    /// reported as zero variance (a constant column, or fewer rows than components).
    /// </summary>
    public const double ZeroVarianceTolerance = 1e-6;

    /// <summary>The mean, the top <paramref name="components"/> axes and the whole spectrum of <paramref name="x"/> [N, F].</summary>
    public static PrincipalAxes Compute(Tensor x, int components)
    {
        if (x.dim() != 2) throw new ArgumentException($"expected a matrix [N, F], got [{string.Join(", ", x.shape)}]");
        long rows = x.shape[0], features = x.shape[1];
        if (components <= 0 || components > features || components > rows)
            throw new ArgumentOutOfRangeException(nameof(components), $"{components} components of a {rows}×{features} matrix");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (x.dtype != ScalarType.Float32) x = x.to(ScalarType.Float32);
        // Column means in float32: torch sums in cascades (~10⁻⁷ relative error), and a mean off by δ
        // only adds N·δδᵀ to the Gram matrix. A non-finite mean means non-finite data (or a float32
        // overflow of the sum), which checks the data for free where x.isfinite() costs a pass.
        var mean = x.mean([0]);                                                     // [F]
        if (!mean.isfinite().all().item<bool>())
        {
            if (!x.isfinite().all().item<bool>())
                throw new UserInputException("the training data contain NaN or infinite values; remove or impute them before fitting pca");
            mean = x.sum([0], false, ScalarType.Float64).div_(rows).to(ScalarType.Float32);
        }
        var centred = x - mean;                                                     // [N, F]
        // Scale by a power of two (exact in binary floating point) so that squares of very large or
        // very small table values neither overflow nor underflow in float32; pixels are left alone.
        double largest = Math.Max(Math.Abs(x.max().item<float>()), Math.Abs(x.min().item<float>())); // ≥ half of max |x̃|
        double scale = largest > 0 ? Math.Pow(2, Math.Round(Math.Log2(largest))) : 1;
        if (scale != 1) centred.div_(scale);

        Tensor variances, axes;                                                     // [min(N, F)] descending, [F, min(N, F)]
        double sumOfSquares;                                                        // ‖X̃‖²_F = tr X̃ᵀX̃
        if (rows >= features)
        {
            var gram = SymmetricGram(centred);                                      // X̃ᵀX̃ [F, F], float32
            sumOfSquares = gram.to(ScalarType.Float64).trace().item<double>();
            (variances, axes) = Eigen(gram);
        }
        else
        {
            // Fewer rows than features: the F × F covariance has rank < N, and the thin SVD of the
            // N × F data costs N²·F instead of F³.
            var (_, singular, vh) = OnOneThread(() => linalg.svd(centred.to(ScalarType.Float64), fullMatrices: false));
            variances = singular.square();
            axes = vh.T;
            sumOfSquares = variances.sum().item<double>();
        }
        double toVariance = scale * scale / Math.Max(1, rows - 1);
        variances = variances * toVariance;

        // [F, K] -> [K, F], then a deterministic sign.
        var top = WithPositiveLargestLoading(axes.narrow(1, 0, components).T.contiguous());

        return new PrincipalAxes(mean.MoveToOuterDisposeScope(), top.MoveToOuterDisposeScope(),
                                 variances.data<double>().ToArray(), sumOfSquares * toVariance);
    }

    /// <summary>
    /// <see cref="Compute(Tensor, int)"/> on rows read in blocks: in memory, the matrix itself; streamed,
    /// with N ≥ F, the centred Gram matrix summed block by block in float64 (two passes: the moments, then
    /// Σ (Xᵢ − 1μᵀ)ᵀ(Xᵢ − 1μᵀ)), so that only one block and the F × F matrix are held; with N &lt; F the rows
    /// are gathered into one matrix for the thin SVD (N² · F of work is only affordable for small N anyway).
    /// </summary>
    public static PrincipalAxes Compute(IRowBlocks rows, int components)
    {
        if (rows is InMemoryRows memory) return Compute(memory.Matrix, components);
        if (rows is DatasetRows { Matrix: Tensor matrix }) return Compute(matrix, components);
        long count = rows.Rows, features = rows.Features;
        if (components <= 0 || components > features || components > count)
            throw new ArgumentOutOfRangeException(nameof(components), $"{components} components of a {count}×{features} matrix");
        if (count < features)
        {
            var parts = rows.Blocks().Select(block => block.clone()).ToList();
            try
            {
                using var all = cat(parts, 0);                                      // [N, F]
                return Compute(all, components);
            }
            finally { foreach (var part in parts) part.Dispose(); }
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (mean, sumOfSquares) = rows.Moments();
        if (!double.IsFinite(sumOfSquares) || !mean.isfinite().all().item<bool>())
            throw new UserInputException("the training data contain NaN or infinite values; remove or impute them before fitting pca");
        var gram = zeros(features, features, ScalarType.Float64);                  // X̃ᵀX̃ [F, F]
        foreach (var chunk in CentredProducts.Chunks(rows))
        {
            using var inner = NewDisposeScope();
            gram.add_(SymmetricGram(chunk - mean).to(ScalarType.Float64));
        }
        var (variances, axes) = Eigen(gram);
        double toVariance = 1.0 / Math.Max(1, count - 1);
        variances = variances * toVariance;
        var top = WithPositiveLargestLoading(axes.narrow(1, 0, components).T.contiguous().to(ScalarType.Float32));
        return new PrincipalAxes(mean.MoveToOuterDisposeScope(), top.MoveToOuterDisposeScope(),
                                 variances.data<double>().ToArray(), sumOfSquares * toVariance);
    }

    /// <summary>Components [K, F] with a deterministic sign: each one's largest loading is positive (every solver's answer ends so).</summary>
    internal static Tensor WithPositiveLargestLoading(Tensor top)
    {
        var largestLoading = top.gather(1, top.abs().argmax(1, keepdim: true));      // [K, 1]
        return top * (1 - 2 * largestLoading.lt(0).to(top.dtype));                    // ±1
    }

    /// <summary>
    /// All eigenvalues of the symmetric <paramref name="gram"/> [F, F] in float64 (descending,
    /// clamped at 0: rounding can leave tiny negative ones) and the eigenvectors as columns.
    /// </summary>
    static (Tensor Values, Tensor Vectors) Eigen(Tensor gram)
    {
        var (values, vectors) = OnOneThread(() => linalg.eigh(gram.to(ScalarType.Float64)));   // ascending
        return (values.flip(0).clamp_min(0), vectors.flip(1));
    }

    /// <summary>
    /// Runs a LAPACK decomposition (eigh, svd) on one thread. Their many short parallel sections
    /// stall whenever another process holds a core, and the problems here are too small to gain from
    /// a second thread anyway. Measured under load on two cores: eigh of 784 × 784 in 0.15 s on one
    /// thread against 0.4–0.7 s on two; the SVD of 256 × 1024 in 0.1–0.2 s against 0.8–9 s.
    /// </summary>
    internal static T OnOneThread<T>(Func<T> decomposition)
    {
        int threads = get_num_threads();
        if (threads == 1) return decomposition();
        set_num_threads(1);
        try { return decomposition(); }
        finally { set_num_threads(threads); }
    }

    /// <summary>
    /// X̃ᵀX̃ [F, F] in two column halves A, B: the blocks AᵀA, AᵀB and BᵀB are multiplied and BᵀA is
    /// the transpose of AᵀB, which saves a quarter of the multiply-adds of one matmul.
    /// </summary>
    static Tensor SymmetricGram(Tensor centred)
    {
        long features = centred.shape[1];
        if (features < 64) return centred.T.matmul(centred);
        long half = features / 2;
        var (left, right) = (centred.narrow(1, 0, half), centred.narrow(1, half, features - half));
        var gram = empty(features, features, ScalarType.Float32);
        var cross = left.T.matmul(right);                                            // [h, F − h]
        gram.narrow(0, 0, half).narrow(1, 0, half).copy_(left.T.matmul(left));
        gram.narrow(0, 0, half).narrow(1, half, features - half).copy_(cross);
        gram.narrow(0, half, features - half).narrow(1, 0, half).copy_(cross.T);
        gram.narrow(0, half, features - half).narrow(1, half, features - half).copy_(right.T.matmul(right));
        return gram;
    }
}
