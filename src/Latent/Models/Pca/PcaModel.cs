using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models.Pca;

/// <summary>
/// Principal component analysis as an autoencoder (Pearson 1901; Hotelling 1933), fitted in closed
/// form: the encoder is the orthogonal projection z = W(x − μ) onto the top-K eigenvectors W [K, F]
/// of the training covariance, the decoder its inverse x̂ = Wᵀz + μ. By the Eckart–Young theorem
/// (1936) no rank-K linear reconstruction has a lower squared error on the training data, which makes
/// this the exact baseline of the linear autoencoder (<see cref="Linear.LinearAutoencoder"/>).
/// <para>
/// With <see cref="PcaOptions.Whiten"/> the codes are divided by √λ_k so that each has unit variance
/// (z = Λ^-½ W(x − μ)), and decoding multiplies them back. Components whose variance is zero (below
/// <see cref="PrincipalComponents.ZeroVarianceTolerance"/> of the first) are left unscaled, so that
/// whitening never divides by zero.
/// </para>
/// <para>
/// The buffers mirror scikit-learn's fitted attributes (<c>mean_</c>, <c>components_</c>,
/// <c>explained_variance_</c>, <c>explained_variance_ratio_</c>, <c>singular_values_</c>) under the
/// same names without the trailing underscore, in model.safetensors: float32, except the variances
/// and singular values, kept in float64 (the precision of the decomposition, and no overflow for
/// tables whose values are beyond 10¹⁹).
/// </para>
/// </summary>
public sealed class PcaModel : Autoencoder, IClosedForm, ILinearCode
{
    // Registered by name with register_buffer (not RegisterComponents) so that the state-dict keys
    // are the snake_case names a PyTorch module would use.
    readonly Tensor _mean;
    readonly Tensor _components;
    readonly Tensor _explainedVariance;
    readonly Tensor _explainedVarianceRatio;
    readonly Tensor _singularValues;

    /// <summary>The spectrum the last fit knows (variances, descending: all of them for the exact solver), for the scree plot; null for a loaded model.</summary>
    double[]? _spectrum;
    /// <summary>The total variance of the last fit's training data (the trace of its covariance).</summary>
    double _totalVariance;

    /// <summary>An unfitted model: zero buffers of the fitted sizes, to be filled by <see cref="Fit"/> or by loading a state dict.</summary>
    /// <param name="options">K (<see cref="ModelOptions.LatentDim"/>), whitening and the solver.</param>
    /// <param name="shape">The shape of one example; F is its size.</param>
    public PcaModel(PcaOptions options, DataShape shape) : base("pca", options, shape)
    {
        int components = options.LatentDim, features = shape.Size;
        _mean = zeros(features);
        _components = zeros(components, features);
        _explainedVariance = zeros(components, ScalarType.Float64);
        _explainedVarianceRatio = zeros(components);
        _singularValues = zeros(components, ScalarType.Float64);
        register_buffer("mean", _mean);
        register_buffer("components", _components);
        register_buffer("explained_variance", _explainedVariance);
        register_buffer("explained_variance_ratio", _explainedVarianceRatio);
        register_buffer("singular_values", _singularValues);
    }

    /// <summary>The options the model was built from, as PCA's own record.</summary>
    public new PcaOptions Options => (PcaOptions)base.Options;

    /// <summary>μ [F].</summary>
    public Tensor Mean => _mean;

    /// <summary>W [K, F]: orthonormal rows, by decreasing variance.</summary>
    public Tensor Components => _components;

    /// <summary>Wᵀ [F, K]: the decoder's columns span the principal subspace (whitening rescales them, the span stays).</summary>
    public Tensor DecoderColumns => _components.T;

    /// <summary>λ_k [K]: the variance of the training data along each component (ddof 1).</summary>
    public Tensor ExplainedVariance => _explainedVariance;

    /// <summary>λ_k / tr Σ [K]: the fraction of the total variance each component explains.</summary>
    public Tensor ExplainedVarianceRatio => _explainedVarianceRatio;

    /// <summary>Fits PCA with <paramref name="components"/> components to <paramref name="train"/>: a ready model.</summary>
    public static PcaModel Fitted(Dataset train, int components, bool whiten = false)
    {
        var model = new PcaModel(new PcaOptions { LatentDim = components, Whiten = whiten }, train.Shape);
        model.Fit(train);
        model.eval();
        return model;
    }

    /// <summary>x [B, ...shape] → z = W(x − μ) [B, K], divided by √λ_k under <see cref="PcaOptions.Whiten"/>.</summary>
    public override Tensor Encode(Tensor x)
    {
        var z = (x.flatten(1) - _mean).matmul(_components.T);                       // [B, F] -> [B, K]
        return Options.Whiten ? z / WhiteningScale() : z;
    }

    /// <summary>z [B, K] → x̂ = Wᵀz + μ [B, ...shape] (z first multiplied by √λ_k under <see cref="PcaOptions.Whiten"/>).</summary>
    public override Tensor Decode(Tensor z)
    {
        var scaled = Options.Whiten ? z * WhiteningScale() : z;
        // [B, K] -> [B, F] -> [B, ...shape]
        return scaled.matmul(_components).add(_mean).reshape([z.shape[0], .. Shape.Dimensions]);
    }

    /// <summary>√λ_k, or 1 for a zero-variance component (whose code is 0 on the training data anyway).</summary>
    Tensor WhiteningScale()
    {
        using var scope = NewDisposeScope();
        var threshold = _explainedVariance[0] * PrincipalComponents.ZeroVarianceTolerance;
        var resolved = _explainedVariance > threshold;
        return where(resolved, _explainedVariance.sqrt(), ones_like(_explainedVariance)).to(_mean.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The reconstruction MSE. PCA is not trained by gradient descent; this is what <see cref="Fit"/> minimises in closed form.</summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        var reconstruction = nn.functional.mse_loss(Reconstruct(x), x);
        return new LossTerms(reconstruction, (LossTerms.Reconstruction, reconstruction));
    }

    /// <summary>
    /// Fits the top-K principal axes of <paramref name="train"/> with the solver <see cref="PcaOptions.Solver"/> chooses, fills the buffers, and
    /// reports the figures of fit.json (<see cref="PcaFitKeys"/>) with a warning for zero-variance components.
    /// </summary>
    /// <param name="train">The training split, in memory or streamed; at least 2 rows and K rows.</param>
    /// <exception cref="UserInputException">Fewer than 2 rows, fewer rows than K, or a NaN or infinite value in the data.</exception>
    public Diagnosis Fit(Dataset train)
    {
        using var scope = NewDisposeScope();
        int rows = train.Count, components = Options.LatentDim;
        if (rows < 2)
            throw new UserInputException($"pca needs at least 2 training examples to estimate variances, not {rows}; add data or lower {nameof(DataOptions.ValidationFraction)}",
                nameof(DataOptions.ValidationFraction));
        if (components > rows)
            throw new UserInputException(
                $"{nameof(ModelOptions.LatentDim)} {components} is more than the {rows} training examples; pass {nameof(ModelOptions.LatentDim)} {rows} or fewer, or add data",
                nameof(ModelOptions.LatentDim));
        using var noGrad = no_grad();
        using var fit = PcaFit.Run(new DatasetRows(train), Options);                   // rejects NaN and infinite values; streamed data stay streamed
        var axes = fit.Axes;
        var variances = axes.Variances;
        double total = axes.TotalVariance;
        var kept = variances.Take(components).ToArray();
        var singular = kept.Select(v => Math.Sqrt(v * (rows - 1))).ToArray();
        var ratios = kept.Select(v => total > 0 ? v / total : 0).ToArray();
        _mean.copy_(axes.Mean);
        _components.copy_(axes.Components);
        _explainedVariance.copy_(tensor(kept));
        _explainedVarianceRatio.copy_(tensor(ratios));
        _singularValues.copy_(tensor(singular));
        _spectrum = variances;
        _totalVariance = total;

        var figures = new Dictionary<string, double>(fit.Figures)
        {
            [PcaFitKeys.ExplainedVarianceRatioTotal] = ratios.Sum(),
            [PcaFitKeys.ZeroVarianceComponents] = kept.Count(v => !(v > variances[0] * PrincipalComponents.ZeroVarianceTolerance)),
        };
        // λ_K / λ_K+1: how well the K-th component is separated from the first one left out. Near 1,
        // the subspace (not the error) is ill-determined (Davis–Kahan).
        if (components < variances.Length && variances[components] > 0)
            figures[PcaFitKeys.EigenvalueGapRatio] = variances[components - 1] / variances[components];

        var warnings = new List<string>();
        int zero = (int)figures[PcaFitKeys.ZeroVarianceComponents];
        if (zero > 0)
            warnings.Add(total > 0
                ? $"components {components - zero + 1}–{components} have zero variance (the centred training data have rank {components - zero} there); their codes are 0 on the training data and whitening leaves them unscaled"
                : "every feature is constant on the training data, so all components have zero variance; the reconstruction is the mean");
        return new Diagnosis(figures, warnings, fit.Notes);
    }

    /// <summary>
    /// The explained-variance ratios of the components left out, as many as were kept (at least 16), when the
    /// fit knows the whole spectrum (the exact solver); empty otherwise.
    /// </summary>
    public double[] LeftOutVarianceRatios
    {
        get
        {
            int kept = (int)_explainedVarianceRatio.shape[0];
            return _spectrum is null || _totalVariance <= 0 ? [] : _spectrum.Skip(kept).Take(Math.Max(kept, 16)).Select(v => v / _totalVariance).ToArray();
        }
    }
}
