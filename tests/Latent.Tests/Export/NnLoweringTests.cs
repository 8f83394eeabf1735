using Latent.Export;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Tests.Export;

/// <summary>Single layers lowered to ONNX and run in ONNX Runtime against their TorchSharp forward pass.</summary>
public sealed class NnLoweringTests
{
    static Tensor RunLowered(nn.Module<Tensor, Tensor> module, Tensor x)
    {
        var graph = new OnnxGraph("layer", "one layer");
        var input = graph.Input(new TensorSpec("x", ElementType.Float32, TensorSpec.Batched(x.shape.Skip(1)), "input"));
        var output = NnLowering.Lower(graph, module, input, "layer");
        graph.Output(output, new TensorSpec("y", ElementType.Float32, [OnnxGraph.Batch], "output"));
        return OnnxRuntimeRunner.Run(OnnxExport.Serialize(graph), new Dictionary<string, Tensor> { ["x"] = x })["y"];
    }

    public static TheoryData<string> Layers() => new() { "conv", "conv-transpose", "conv-stack-up", "conv-encoder", "conv-decoder", "mlp-decoder", "causal-block", "block", "gelu-tanh", "layer-norm" };

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_lowered_layer_computes_what_torchsharp_computes(string layer)
    {
        manual_seed(5);
        using var noGrad = no_grad();
        var (module, x) = layer switch
        {
            "conv" => ((nn.Module<Tensor, Tensor>)nn.Conv2d(3, 4, kernel_size: 4, stride: 2, padding: 1), rand(2, 3, 8, 8)),
            "conv-transpose" => (nn.ConvTranspose2d(4, 3, kernel_size: 4, stride: 2, padding: 1), rand(2, 4, 4, 4)),
            "conv-stack-up" => (ConvStack.Up([8, 16], 1), rand(2, 16, 4, 4)),
            "conv-encoder" => (new ConvEncoder(Latent.Data.DataShape.Image(1, 16, 16), [8, 16], 8), rand(2, 1, 16, 16)),
            "conv-decoder" => (new ConvDecoder(8, [8, 16], Latent.Data.DataShape.Image(1, 16, 16)), randn(2, 8)),
            "mlp-decoder" => (new MlpDecoder(8, [32], [1, 16, 16]), randn(2, 8)),
            "causal-block" => (new TransformerBlock(16, 4, causal: true), randn(2, 6, 16)),
            "block" => (new TransformerBlock(16, 4), randn(2, 6, 16)),
            "gelu-tanh" => (nn.GELU(TorchSharp.Modules.GELU.Approximate.tanh), randn(3, 10)),
            _ => (nn.LayerNorm(10, eps: 1e-5), randn(3, 4, 10) * 3 + 1),
        };
        module.eval();
        var expected = module.forward(x);
        var actual = RunLowered(module, x);
        double error = OnnxRuntimeRunner.RelativeError(actual, expected);
        Assert.True(error <= 1e-5, $"{layer}: relative error {error:E2}");
    }

    [Fact]
    public void A_layer_without_a_lowering_is_named_in_a_one_line_error()
    {
        var graph = new OnnxGraph("layer", "one layer");
        var error = Assert.Throws<UserInputException>(() => NnLowering.Lower(graph, nn.BatchNorm2d(3), "x", "encoder.norm"));
        Assert.Contains("cannot export layer 'encoder.norm' (BatchNorm2d)", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
