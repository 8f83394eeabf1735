using static TorchSharp.torch;

namespace Latent.Tests;

/// <summary>Fails when TorchSharp's native libraries cannot load (see build/PatchLibTorchSharp.cs).</summary>
public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void Libtorch_loads_and_multiplies_matrices()
    {
        using var a = ones(3, 4);
        using var b = ones(4, 2);
        using var product = a.matmul(b);
        Assert.Equal(4f, product[2, 1].item<float>());
        Assert.StartsWith("2.10", TorchSharp.torch.__version__);
    }

    [Fact]
    public void Autograd_computes_a_gradient()
    {
        using var x = tensor(new[] { 1f, 2f, 3f }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(new[] { 2f, 4f, 6f }, x.grad!.data<float>().ToArray());
    }
}
