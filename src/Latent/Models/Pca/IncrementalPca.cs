// Incremental PCA: Ross, Lim, Lin & Yang 2008, "Incremental learning for robust visual tracking", §3.1
// (the sequential Karhunen–Loeve update with the mean folded in), as scikit-learn's IncrementalPCA.
//   With n rows seen (mean μ, top-K singular values s and right vectors V) and a batch B of m rows
//   (mean μ_B), the new mean is (n·μ + m·μ_B) / (n + m), and the SVD of the stacked matrix
//       [ diag(s) Vᵀ ;  B − 1μ_Bᵀ ;  √(n·m / (n + m)) · (μ − μ_B)ᵀ ]          (K + m + 1 rows)
//   gives the new s and V, kept to K. When the data have rank at most K this equals the SVD of all
//   rows at once; otherwise each truncation discards a little, and larger batches discard less.

using static TorchSharp.torch;

namespace Latent.Models.Pca;

/// <summary>
/// PCA fitted one batch of rows at a time (<see cref="PartialFit"/>), in float64, so that data read in
/// batches (from disk, or generated) never need to be in memory at once. The stacked matrix is
/// decomposed through its (K + m + 1)² Gram matrix, which costs (K + m)²·F per batch instead of an
/// SVD of (K + m) × F.
/// </summary>
public sealed class IncrementalPca : IDisposable
{
    readonly int _components;
    Tensor? _mean;                        // [F] float64
    Tensor? _scaledComponents;            // diag(s) Vᵀ [k, F] float64, k ≤ K
    double _sumOfSquares;                 // Σ‖x − μ‖² over the rows seen, updated exactly (Chan et al. 1979)
    long _seen;

    /// <summary>An empty fit that will keep the top <paramref name="components"/> components.</summary>
    /// <param name="components">K, at most the rows of the first batch.</param>
    public IncrementalPca(int components) => _components = components;

    /// <summary>Rows folded in so far.</summary>
    public long Seen => _seen;

    /// <summary>Batches folded in so far.</summary>
    public int Batches { get; private set; }

    /// <summary>Folds in a batch [m, F] (float32 or float64); the first needs at least K rows.</summary>
    public void PartialFit(Tensor batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = batch.to(ScalarType.Float64);
        long m = rows.shape[0];
        if (m == 0) return;
        if (_seen == 0 && m < _components)
            throw new ArgumentException($"the first batch has {m} rows, fewer than the {_components} components");
        var batchMean = rows.mean([0]);
        var centred = rows - batchMean;                                                // [m, F]
        double batchSquares = centred.square().sum().item<double>();
        Tensor stacked, mean;
        if (_seen == 0)
        {
            stacked = centred;
            mean = batchMean;
            _sumOfSquares = batchSquares;
        }
        else
        {
            double n = _seen, total = n + m;
            var shift = _mean! - batchMean;
            var correction = (shift * Math.Sqrt(n * m / total)).unsqueeze(0);            // [1, F]
            stacked = cat([_scaledComponents!, centred, correction], 0);               // [k + m + 1, F]
            mean = (_mean! * (n / total)).add_(batchMean * (m / total));
            _sumOfSquares += batchSquares + shift.square().sum().item<double>() * n * m / total;
        }
        // stacked = U S Vᵀ; with G = stacked stackedᵀ = U S² Uᵀ, the top rows of S Vᵀ are Uᵀ stacked.
        var gram = stacked.matmul(stacked.T);
        var (values, vectors) = PrincipalComponents.OnOneThread(() => linalg.eigh(gram)); // ascending
        int keep = (int)Math.Min(_components, values.shape[0]);
        var top = vectors.narrow(1, vectors.shape[1] - keep, keep).flip(1);              // U_K [rows, K]
        var scaled = top.T.matmul(stacked);                                              // S_K V_Kᵀ [K, F]

        _mean?.Dispose();
        _scaledComponents?.Dispose();
        _mean = mean.MoveToOuterDisposeScope();
        _scaledComponents = scaled.MoveToOuterDisposeScope();
        _seen += m;
        Batches++;
    }

    /// <summary>
    /// The fit so far: μ [F] float32, W [K, F] float32 (orthonormal rows, by decreasing variance; signs
    /// not yet fixed), the variances s² / (N − 1) and the total variance of the rows seen.
    /// </summary>
    public (Tensor Mean, Tensor Components, double[] Variances, double TotalVariance) Result()
    {
        if (_mean is null || _scaledComponents is null) throw new InvalidOperationException("no batch has been folded in");
        using var scope = NewDisposeScope();
        var norms = _scaledComponents.norm(1);                                           // s [K]
        var components = (_scaledComponents / norms.clamp_min(1e-300).unsqueeze(1)).to(ScalarType.Float32);
        double toVariance = 1.0 / Math.Max(1, _seen - 1);
        var variances = norms.square().data<double>().Select(v => v * toVariance).ToArray();
        return (_mean.to(ScalarType.Float32).MoveToOuterDisposeScope(), components.MoveToOuterDisposeScope(), variances, _sumOfSquares * toVariance);
    }

    /// <summary>Frees the running mean and components.</summary>
    public void Dispose()
    {
        _mean?.Dispose();
        _scaledComponents?.Dispose();
    }
}
