using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>
/// Linear → ReLU → … → Linear, as a plain <see cref="Sequential"/> so that its state-dict keys are
/// PyTorch's (<c>0.weight</c>, <c>2.weight</c>, …). No activation after the last layer.
/// </summary>
internal static class Mlp
{
    public static Sequential Create(int input, IReadOnlyList<int> hidden, int output)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        int width = input;
        foreach (int next in hidden)
        {
            layers.Add(nn.Linear(width, next));
            layers.Add(nn.ReLU());
            width = next;
        }
        layers.Add(nn.Linear(width, output));
        return nn.Sequential(layers);
    }
}

/// <summary>x [B, ...shape] → [B, output]: flattens the example, then an MLP.</summary>
internal sealed class MlpEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public MlpEncoder(int inputSize, IReadOnlyList<int> hidden, int output) : base(nameof(MlpEncoder))
    {
        layers = Mlp.Create(inputSize, hidden, output);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layers.forward(x.flatten(1));
}

/// <summary>z [B, input] → [B, ...dimensions]: an MLP with the hidden widths reversed, then a reshape.</summary>
internal sealed class MlpDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly long[] _dimensions;

    public MlpDecoder(int input, IReadOnlyList<int> hidden, long[] dimensions) : base(nameof(MlpDecoder))
    {
        _dimensions = dimensions;
        layers = Mlp.Create(input, hidden.Reverse().ToArray(), (int)dimensions.Aggregate(1L, (a, b) => a * b));
        RegisterComponents();
    }

    /// <summary>The dimensions of one output example, after the reshape.</summary>
    public IReadOnlyList<long> Dimensions => _dimensions;

    // [B, C·H·W] -> [B, C, H, W]
    public override Tensor forward(Tensor z) => layers.forward(z).reshape([z.shape[0], .. _dimensions]);
}
