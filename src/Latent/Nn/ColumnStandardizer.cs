using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>
/// Per-column standardisation of table rows, s = (x − μ) / σ, with μ and σ the mean and the (population)
/// standard deviation of each column over the training split, as scikit-learn's StandardScaler fits them.
/// Both are buffers (state-dict keys <c>mean</c> and <c>scale</c>), so they are saved with the weights and
/// every later use of the model (encode, decode, export) applies the statistics it was trained with.
/// Without it, a column on a scale of 1000 contributes a million times the squared error of a column on a
/// scale of 1 and the network learns that column only (issue 16's wine table).
/// </summary>
public sealed class ColumnStandardizer : nn.Module
{
    private readonly Tensor mean;
    private readonly Tensor scale;

    /// <summary>An identity standardiser (μ = 0, σ = 1) for rows of <paramref name="features"/> columns; <see cref="Fit"/> sets it.</summary>
    public ColumnStandardizer(int features) : base(nameof(ColumnStandardizer))
    {
        mean = zeros(features);
        scale = ones(features);
        RegisterComponents();
    }

    /// <summary>
    /// Sets μ and σ from all training rows [N, F], in float64. A constant column (σ below 1e-12 of its
    /// magnitude, or zero) keeps σ = 1, so that it maps to 0 instead of dividing by zero.
    /// </summary>
    public void Fit(Tensor rows)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var values = rows.to(ScalarType.Float64).flatten(1);                  // [N, ...] -> [N, F]
        var columnMean = values.mean([0]);
        var spread = values.var(0, unbiased: false).sqrt();
        var tiny = columnMean.abs().mul(1e-12).clamp_min(1e-300);
        spread = where(spread > tiny, spread, ones_like(spread));
        mean.copy_(columnMean.to(mean.dtype));
        scale.copy_(spread.to(scale.dtype));
    }

    /// <summary>x [B, F] → (x − μ) / σ.</summary>
    public Tensor Standardize(Tensor x) => (x - mean) / scale;

    /// <summary>s [B, F] → s·σ + μ, back in the data's units.</summary>
    public Tensor Restore(Tensor standardized) => standardized * scale + mean;

    /// <summary>Σⱼ log σⱼ: what a density of s loses per example as a density of x (the Jacobian of x ↦ s).</summary>
    public double LogScaleSum
    {
        get
        {
            using var noGrad = no_grad();
            return scale.to(ScalarType.Float64).log().sum().item<double>();
        }
    }

    /// <summary>μ [F], for export.</summary>
    public Tensor Mean => mean;

    /// <summary>σ [F], for export.</summary>
    public Tensor Scale => scale;
}
