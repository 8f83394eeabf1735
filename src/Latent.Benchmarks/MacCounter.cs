using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Benchmarks;

/// <summary>
/// Counts the multiply-adds of a forward pass by watching every linear and convolution layer (hooks
/// read the actual input and output shapes). Training costs about three times the forward pass:
/// the backward pass computes one product for the input gradient and one for the weight gradient.
/// Attention products written as plain matmuls are not counted.
/// </summary>
public static class MacCounter
{
    public static long Forward(nn.Module model, Action forward)
    {
        long macs = 0;
        var removers = new List<Action>();
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case Linear linear:
                    Watch(removers, linear.register_forward_hook((_, input, output) =>
                    {
                        macs += input.numel() / linear.in_features * linear.in_features * linear.out_features;
                        return output;
                    }));
                    break;
                case Conv2d conv:
                    Watch(removers, conv.register_forward_hook((_, _, output) =>
                    {
                        var w = conv.weight!.shape; // [out, in/groups, kh, kw]
                        macs += output.numel() * w[1] * w[2] * w[3];
                        return output;
                    }));
                    break;
                case ConvTranspose2d deconv:
                    Watch(removers, deconv.register_forward_hook((_, input, output) =>
                    {
                        var w = deconv.weight!.shape; // [in, out/groups, kh, kw]
                        macs += input.numel() * w[1] * w[2] * w[3];
                        return output;
                    }));
                    break;
            }
        }
        try
        {
            using var noGrad = no_grad();
            forward();
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return macs;
    }

    static void Watch(List<Action> removers, nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>,
                      Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover remover) => removers.Add(remover.remove);
}
