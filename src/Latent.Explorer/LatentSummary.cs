// The test split's codes, summarised once per run and kept in the explorer's cache:
//   the map: the codes themselves for D = 2, else their first two principal components (PcaFit.Leading, by
//   the solver latent pca would choose): a point is p = Vₖᵀ(z − μ) with Vₖ the first two principal axes of
//   the centred codes Z̃ = Z − 1μᵀ, and a point of the map is lifted back to the latent space as z = μ + Vₖp,
//   the closest code (in ℓ2) that projects onto it;
//   the sliders: per dimension, the spread of the codes across the test split (for a VAE the codes are
//   the posterior means, so this is the activity Cov_x(E_q[z])ⱼ of Burda et al. 2016, §5.2).

using System.Text.Json;
using Latent.Data;
using Latent.Models;
using Latent.Models.Pca;
using Latent.Models.Sampling;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Explorer;

/// <summary>
/// What the explorer knows about a run's latent space from its test split: the 2-D map of the codes
/// (and how to lift a map point back), and each dimension's spread. Computed once, cached in
/// <c>DIR/explore-cache/</c> beside the fingerprint of the weights and data it came from.
/// </summary>
public sealed record LatentSummary
{
    /// <summary>Codes of at most this many test examples are summarised.</summary>
    public const int MaxExamples = 10_000;

    /// <summary>The map shows at most this many of them.</summary>
    public const int MapPoints = 2_000;

    /// <summary>The cache file's name inside the explorer cache.</summary>
    public const string CacheFile = "latent-summary.json";

    /// <summary>D, the size of a code.</summary>
    public required int Dimension { get; init; }

    /// <summary>How the map was made: <c>codes</c> (D = 2, the codes themselves) or <c>pca</c>.</summary>
    public required string Projection { get; init; }

    /// <summary>μ [D]: the point the map's axes go through (zero for <c>codes</c>).</summary>
    public required float[] Mean { get; init; }

    /// <summary>The map's two axes in latent space, [2][D] (orthonormal; the unit vectors for <c>codes</c>).</summary>
    public required float[][] Axes { get; init; }

    /// <summary>Share of the codes' variance along each map axis (1 for <c>codes</c> in all, split between the two).</summary>
    public required double[] AxisVarianceShare { get; init; }

    /// <summary>Map coordinates of the first <see cref="MapPoints"/> test examples, x then y per example.</summary>
    public required float[] PointsX { get; init; }

    /// <inheritdoc cref="PointsX"/>
    public required float[] PointsY { get; init; }

    /// <summary>Variance of each dimension across the summarised test codes.</summary>
    public required double[] Variance { get; init; }

    /// <summary>Smallest value of each dimension across the summarised test codes.</summary>
    public required double[] Low { get; init; }

    /// <summary>Largest value of each dimension across the summarised test codes.</summary>
    public required double[] High { get; init; }

    /// <summary>What the summary was computed from: the weights' SHA-256, the data spec and the number of test examples.</summary>
    public required string Source { get; init; }

    /// <summary>Dimensions from most to least varying (for a VAE: most active first).</summary>
    public int[] ByActivity() => Enumerable.Range(0, Dimension).OrderByDescending(j => Variance[j]).ThenBy(j => j).ToArray();

    /// <summary>The code that map point (x, y) stands for: μ + x·a₁ + y·a₂.</summary>
    public float[] Lift(double x, double y)
    {
        var code = new float[Dimension];
        for (int j = 0; j < Dimension; j++) code[j] = (float)(Mean[j] + x * Axes[0][j] + y * Axes[1][j]);
        return code;
    }

    /// <summary>The summary of <paramref name="test"/> under <paramref name="model"/>, from the cache when it matches.</summary>
    public static LatentSummary LoadOrCompute(ExplorerCache cache, RunDirectory run, Autoencoder model, Dataset test, string dataSpec)
    {
        int count = Math.Min(test.Count, MaxExamples);
        string source = $"{SamplerFile.Fingerprint(run.ModelPath)} {dataSpec} {count}";
        if (cache.ReadText(CacheFile) is string json)
        {
            try
            {
                var cached = JsonSerializer.Deserialize<LatentSummary>(json, Json.Options);
                if (cached is not null && cached.Source == source && cached.Dimension == model.RepresentationSize) return cached;
            }
            catch (JsonException)
            {
                // Only a cache: recompute it.
            }
        }
        var summary = Compute(model, test, count, source);
        cache.WriteText(CacheFile, JsonSerializer.Serialize(summary, Json.Compact));
        return summary;
    }

    /// <summary>Encodes the first <paramref name="count"/> examples of <paramref name="data"/> and summarises their codes.</summary>
    public static LatentSummary Compute(Autoencoder model, Dataset data, int count, string source)
    {
        using var scope = NewDisposeScope();
        var test = data.Take(count);
        var codes = Batched.Encode(model, test).to(ScalarType.Float64);   // [N, D]
        int dimension = (int)codes.shape[1];
        var mean = codes.mean([0]);
        var variance = test.Count > 1 ? codes.var([0L], unbiased: false) : zeros(dimension, dtype: ScalarType.Float64);
        Tensor axes, points;                                                      // [2, D], [N, 2]
        double[] share;
        string projection;
        if (dimension == 2)
        {
            projection = "codes";
            axes = eye(2, dtype: ScalarType.Float64);
            points = codes;
            mean = zeros(2, dtype: ScalarType.Float64);
            double total = Math.Max(variance.sum().item<double>(), double.Epsilon);
            share = variance.data<double>().Select(v => v / total).ToArray();
        }
        else
        {
            projection = "pca";
            using var principal = PcaFit.Leading(codes, (int)Math.Min(2, Math.Min(codes.shape[0], dimension)));
            axes = principal.Components.to(ScalarType.Float64);
            if (axes.shape[0] < 2) axes = cat([axes, zeros(2 - axes.shape[0], dimension, dtype: ScalarType.Float64)], 0);
            points = (codes - mean).matmul(axes.t());                             // [N, D] · [D, 2] -> [N, 2]
            double total = Math.Max(principal.TotalVariance, double.Epsilon);
            share = principal.Variances.Take(2).Select(v => v / total).ToArray();
            if (share.Length < 2) share = [.. share, 0];
        }
        int shown = Math.Min(test.Count, MapPoints);
        var (low, high) = test.Count > 0 ? (codes.amin([0]), codes.amax([0])) : (mean, mean);
        return new LatentSummary
        {
            Dimension = dimension,
            Projection = projection,
            Mean = mean.to(ScalarType.Float32).data<float>().ToArray(),
            Axes = [axes[0].to(ScalarType.Float32).data<float>().ToArray(), axes[1].to(ScalarType.Float32).data<float>().ToArray()],
            AxisVarianceShare = share,
            PointsX = points.narrow(0, 0, shown)[.., 0].to(ScalarType.Float32).data<float>().ToArray(),
            PointsY = points.narrow(0, 0, shown)[.., 1].to(ScalarType.Float32).data<float>().ToArray(),
            Variance = variance.data<double>().ToArray(),
            Low = low.data<double>().ToArray(),
            High = high.data<double>().ToArray(),
            Source = source,
        };
    }
}
