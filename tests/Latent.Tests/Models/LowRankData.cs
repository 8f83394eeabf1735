using System.Globalization;
using System.Text;
using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

/// <summary>
/// Seeded synthetic tables whose principal subspace is known: x = μ + B·diag(σ)·s + noise·ε with
/// B [F, r] orthonormal, s and ε standard normal. The covariance is B diag(σ²) Bᵀ + noise²·I, so its
/// top-r eigenvectors span B exactly and its eigenvalues are σ_i² + noise² (then noise² F − r times).
/// </summary>
public sealed record LowRankData(Dataset Data, Tensor Basis, double[] Deviations, double Noise)
{
    public static LowRankData Generate(int rows, int features, double[] deviations, double noise, long seed)
    {
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        int rank = deviations.Length;
        var basis = linalg.qr(randn([features, rank], ScalarType.Float64, generator: generator)).Q;     // [F, r], orthonormal
        var scores = randn([rows, rank], ScalarType.Float64, generator: generator) * tensor(deviations); // [N, r]
        var mean = randn([features], ScalarType.Float64, generator: generator) * 3;
        var x = scores.matmul(basis.T) + mean + noise * randn([rows, features], ScalarType.Float64, generator: generator);
        return new LowRankData(new Dataset(x.to(ScalarType.Float32), DataShape.Table(features)), basis, deviations, noise);
    }

    /// <summary>The rows as a CSV table with a header, written with round-trip precision.</summary>
    public void WriteCsv(string path)
    {
        var values = Data.Features.data<float>().ToArray();
        int features = Data.Shape.Size;
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, features).Select(i => $"f{i}"))).Append('\n');
        for (int row = 0; row < Data.Count; row++)
            text.AppendJoin(',', values.Skip(row * features).Take(features).Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        File.WriteAllText(path, text.ToString());
    }
}
