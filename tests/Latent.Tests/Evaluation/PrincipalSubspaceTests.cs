using Latent.Evaluation;
using Latent.Models.Pca;
using Latent.Tests.Models;
using static TorchSharp.torch;

namespace Latent.Tests.Evaluation;

public sealed class PrincipalSubspaceTests
{
    static Tensor Columns(params double[][] columns) => tensor(columns.SelectMany(c => c).ToArray(), [columns.Length, columns[0].Length]).T;

    [Fact]
    public void Angles_between_known_planes_are_recovered()
    {
        double theta = 30 * Math.PI / 180;
        var a = Columns([1, 0, 0, 0], [0, 1, 0, 0]);
        var b = Columns([1, 0, 0, 0], [0, Math.Cos(theta), Math.Sin(theta), 0]);
        var angles = PrincipalSubspace.AnglesDegrees(a, b);
        Assert.Equal(0, angles[0], 6);
        Assert.Equal(30, angles[1], 6);
        Assert.Equal(30, PrincipalSubspace.LargestAngleDegrees(a, b), 9);
        Assert.Equal(90, PrincipalSubspace.LargestAngleDegrees(a, Columns([0, 0, 1, 0], [0, 0, 0, 1])), 9);
    }

    [Fact]
    public void The_angle_depends_on_the_subspace_not_on_the_basis_inside_it()
    {
        using var generator = new Generator(3);
        var a = randn([12, 4], ScalarType.Float64, generator: generator);
        var mixing = randn([4, 4], ScalarType.Float64, generator: generator) + 3 * eye(4, dtype: ScalarType.Float64); // invertible
        Assert.InRange(PrincipalSubspace.LargestAngleDegrees(a, a.matmul(mixing)), 0, 1e-6);
        // Tiny angles keep their digits (sine formula): a rotation by 10⁻⁶ degrees.
        double tiny = 1e-6 * Math.PI / 180;
        Assert.Equal(1e-6, PrincipalSubspace.LargestAngleDegrees(Columns([1, 0, 0]), Columns([Math.Cos(tiny), Math.Sin(tiny), 0])), 12);
    }

    [Fact]
    public void A_rank_deficient_decoder_misses_a_direction_by_90_degrees()
    {
        var deficient = Columns([1, 0, 0], [2, 0, 0]);
        Assert.Equal(90, PrincipalSubspace.LargestAngleDegrees(deficient, Columns([1, 0, 0], [0, 1, 0])));
    }

    [Fact]
    public void A_pca_run_compared_with_itself_has_no_angle_and_its_own_error_as_the_optimum()
    {
        var train = LowRankData.Generate(rows: 800, features: 9, [2, 1], noise: 0.2, seed: 4).Data;
        var test = LowRankData.Generate(rows: 200, features: 9, [2, 1], noise: 0.2, seed: 5).Data;
        using var pca = PcaModel.Fitted(train, components: 2);
        var figures = Evaluator.Evaluate(pca, test, new EvaluationOptions { TrainingSplit = new(() => train) });
        Assert.InRange(figures["principal_angle_max_deg"], 0, 1e-4);
        Assert.Equal(figures["test_mse"], figures["pca_optimum_mse"], 6);
    }
}
