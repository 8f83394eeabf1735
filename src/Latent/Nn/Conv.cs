using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>
/// Convolutional stacks that halve (or double) the image side at every stage: kernel 4, stride 2,
/// padding 1, the DCGAN-style layout most VAE code bases use for 28–64 pixel images.
/// </summary>
internal static class ConvStack
{
    /// <summary>[B, C, H, W] → [B, channels[^1], H/2^s, W/2^s], ReLU after every stage.</summary>
    public static Sequential Down(int inChannels, IReadOnlyList<int> channels)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        int current = inChannels;
        foreach (int next in channels)
        {
            layers.Add(nn.Conv2d(current, next, kernel_size: 4, stride: 2, padding: 1));
            layers.Add(nn.ReLU());
            current = next;
        }
        return nn.Sequential(layers);
    }

    /// <summary>
    /// [B, channels[^1], h, w] → [B, outChannels, h·2^s, w·2^s], mirroring <see cref="Down"/>;
    /// ReLU between stages, none after the last.
    /// </summary>
    public static Sequential Up(IReadOnlyList<int> channels, int outChannels)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        var widths = channels.Reverse().Append(outChannels).ToArray();
        for (int i = 0; i + 1 < widths.Length; i++)
        {
            layers.Add(nn.ConvTranspose2d(widths[i], widths[i + 1], kernel_size: 4, stride: 2, padding: 1));
            if (i + 2 < widths.Length) layers.Add(nn.ReLU());
        }
        return nn.Sequential(layers);
    }
}

/// <summary>
/// x [B, C, H, W] → [B, output]: a conv stack, flattened, then one linear layer. Sides that are not
/// multiples of 2^stages are zero-padded first (<see cref="ConvPadding"/>).
/// </summary>
internal sealed class ConvEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Linear head;
    private readonly ConvPadding _padding;

    public ConvEncoder((int Channels, int Height, int Width) shape, IReadOnlyList<int> channels, int output) : base(nameof(ConvEncoder))
    {
        _padding = new ConvPadding(shape.Height, shape.Width, channels.Count);
        features = ConvStack.Down(shape.Channels, channels);
        head = nn.Linear(channels[^1] * _padding.GridHeight * _padding.GridWidth, output);
        RegisterComponents();
    }

    // [B, C, H, W] -> [B, C, H', W'] -> [B, c, h, w] -> [B, c·h·w] -> [B, output]
    public override Tensor forward(Tensor x) => head.forward(features.forward(_padding.Pad(x)).flatten(1));
}

/// <summary>
/// z [B, input] → [B, C, H, W]: one linear layer to a small grid, then the mirrored conv stack, cropped
/// to the image when its sides are not multiples of 2^stages (<see cref="ConvPadding"/>).
/// </summary>
internal sealed class ConvDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Linear head;
    private readonly Sequential features;
    private readonly long[] _grid;
    private readonly ConvPadding _padding;

    public ConvDecoder(int input, IReadOnlyList<int> channels, (int Channels, int Height, int Width) shape) : base(nameof(ConvDecoder))
    {
        _padding = new ConvPadding(shape.Height, shape.Width, channels.Count);
        _grid = [channels[^1], _padding.GridHeight, _padding.GridWidth];
        head = nn.Linear(input, (int)(_grid[0] * _grid[1] * _grid[2]));
        features = ConvStack.Up(channels, shape.Channels);
        RegisterComponents();
    }

    /// <summary>[c, h, w]: the grid the linear layer's output is reshaped to.</summary>
    public IReadOnlyList<long> Grid => _grid;

    // [B, input] -> [B, c·h·w] -> [B, c, h, w] -> [B, C, H', W'] -> [B, C, H, W]
    public override Tensor forward(Tensor z) =>
        _padding.Crop(features.forward(nn.functional.relu(head.forward(z)).reshape([z.shape[0], .. _grid])));
}
