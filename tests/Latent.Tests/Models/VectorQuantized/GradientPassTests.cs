using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class GradientPassTests
{
    [Fact]
    public void The_rotation_trick_turns_and_scales_the_gradient_as_worked_out_by_hand()
    {
        // e = (1, 0), q = (0, 2): ê = (1, 0), q̂ = (0, 1), r = (1, 1)/√2, R = I − 2rrᵀ + 2q̂êᵀ = [[0, −1], [1, 0]]
        // (a quarter turn), λ = ‖q‖/‖e‖ = 2. The value is λRe = q; the gradient of w·output is λRᵀw: (0, −2) for w = (1, 0).
        using var e = tensor(new float[] { 1, 0 }).reshape(1, 2).requires_grad_();
        using var q = tensor(new float[] { 0, 2 }).reshape(1, 2);
        var output = GradientPass.Apply(GradientEstimator.Rotation, e, q);
        Assert.True(output.allclose(q, atol: 1e-6));
        (output * tensor(new float[] { 1, 0 })).sum().backward();
        Assert.True(e.grad!.allclose(tensor(new float[] { 0, -2 }).reshape(1, 2), atol: 1e-6));
    }

    [Fact]
    public void The_rotation_trick_gradient_is_a_scaled_rotation_for_any_pair()
    {
        manual_seed(4);
        using var e = randn(16, 5).requires_grad_();
        using var q = randn(16, 5);
        using var w = randn(16, 5);
        var output = GradientPass.Apply(GradientEstimator.Rotation, e, q);
        Assert.True(output.allclose(q, atol: 1e-5));
        (output * w).sum().backward();
        using var noGrad = no_grad();
        // A rotation keeps lengths: ‖∂/∂e‖ = λ‖w‖ row by row, λ = ‖q‖/‖e‖; and it is not the straight-through copy of w.
        var lambda = q.norm(1) / e.norm(1);
        Assert.True(e.grad!.norm(1).allclose(lambda * w.norm(1), rtol: 1e-4));
        Assert.False(e.grad!.allclose(w, atol: 1e-3));
        // R ê = q̂: the rotation of e's direction is q's, checked through the formula R = I − 2rrᵀ + 2q̂êᵀ on one row.
        var (eHat, qHat) = (e[0] / e[0].norm(), q[0] / q[0].norm());
        var r = (eHat + qHat) / (eHat + qHat).norm();
        var rotation = eye(5) - 2 * r.outer(r) + 2 * qHat.outer(eHat);
        Assert.True(rotation.matmul(eHat).allclose(qHat, atol: 1e-5));
        Assert.True(rotation.t().matmul(rotation).allclose(eye(5), atol: 1e-5));
        Assert.True(e.grad![0].allclose(lambda[0] * rotation.t().matmul(w[0]), atol: 1e-4));
    }

    [Fact]
    public void Straight_through_copies_the_gradient_and_neither_estimator_trains_the_codes()
    {
        using var e = tensor(new float[] { 1, 2, 3 }).requires_grad_();
        using var q = tensor(new float[] { 0, 1, 0 }).requires_grad_();
        foreach (var estimator in new[] { GradientEstimator.Ste, GradientEstimator.Rotation })
        {
            e.grad?.zero_();
            GradientPass.Apply(estimator, e, q).sum().backward();
            Assert.Null(q.grad);
            if (estimator == GradientEstimator.Ste) Assert.True(e.grad!.allclose(ones(3)));
        }
    }
}
