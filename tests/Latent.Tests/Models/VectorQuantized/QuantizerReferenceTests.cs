using Latent.Nn;
using Latent.Models.VectorQuantized;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

/// <summary>
/// The quantizers' gradients and penalties against independent PyTorch references written from the papers
/// (tests/python/quantizer_reference.py, float64): the rotation trick with R formed as a matrix, FSQ's listing,
/// LFQ's entropies by brute force over all 2^d codes.
/// </summary>
public sealed class QuantizerReferenceTests
{
    const string Python = "/usr/bin/python3";
    static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../python/quantizer_reference.py"));

    static (int ExitCode, string Output) Run(params string[] args)
    {
        return Repository.Start(Python, Directory.GetCurrentDirectory(), [.. args]);
    }

    static void Close(Tensor actual, Tensor expected, string what, double tolerance = 1e-4)
    {
        double difference = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().max().item<double>();
        double scale = Math.Max(1, expected.abs().max().to_type(ScalarType.Float64).item<double>());
        Assert.True(difference <= tolerance * scale, $"{what}: max |difference| {difference:E2} (values up to {scale:G3})");
    }

    [SkippableFact]
    public void Rotation_trick_fsq_and_lfq_agree_with_references_written_from_the_papers()
    {
        Skip.IfNot(File.Exists(Python) && Run("-c", "import torch, numpy").ExitCode == 0,
            "Debian's python3-torch is not installed (apt-get install python3-torch)");
        manual_seed(7);
        using var folder = new TempDirectory();
        var inputs = new Dictionary<string, Tensor>
        {
            ["rotation_e"] = randn(12, 5), ["rotation_q"] = randn(12, 5), ["rotation_w"] = randn(12, 5),
            ["fsq_z"] = randn(40, 4) * 1.5, ["fsq_levels"] = tensor(new long[] { 8, 5, 5, 4 }), ["fsq_w"] = randn(40, 4),
            ["lfq_z"] = randn(30, 4) * 0.5, ["lfq_settings"] = tensor(new float[] { 0.3f, 0.7f, 0.5f }),
        };
        SafeTensors.Save(folder.File("in.safetensors"), inputs.Select(p => (p.Key, p.Value)));
        var (exitCode, output) = Run(Script, folder.File("in.safetensors"), folder.File("out.safetensors"));
        Assert.True(exitCode == 0, output);
        var expected = SafeTensors.Load(folder.File("out.safetensors")).Tensors;

        using (var e = inputs["rotation_e"].clone().requires_grad_())
        {
            var rotated = GradientPass.Apply(GradientEstimator.Rotation, e, inputs["rotation_q"]);
            (rotated * inputs["rotation_w"]).sum().backward();
            Close(rotated, expected["rotation_output"], "rotation trick output");
            Close(e.grad!, expected["rotation_grad"], "rotation trick gradient");
        }

        using (var z = inputs["fsq_z"].clone().reshape(1, 40, 4).requires_grad_())
        using (var fsq = new FiniteScalarQuantizer(4, 1, [8, 5, 5, 4]))
        {
            var quantized = fsq.Quantize(z, learn: false).Output;
            (quantized * inputs["fsq_w"].reshape(1, 40, 4)).sum().backward();
            Close(quantized.reshape(40, 4), expected["fsq_output"], "FSQ output");
            Close(z.grad!.reshape(40, 4), expected["fsq_grad"], "FSQ straight-through gradient");
        }

        using (var z = inputs["lfq_z"].clone().reshape(1, 30, 1, 4).requires_grad_())
        using (var lfq = new LookupFreeQuantizer(4, 1, 4, new EntropyPenalty(0.3, 0.7, 0.5, 0)))
        {
            var (sample, batch) = lfq.Entropies(z);
            (0.3 * sample - 0.7 * batch).backward();
            Close(sample.reshape(1), expected["lfq_sample_entropy"], "LFQ per-sample entropy");
            Close(batch.reshape(1), expected["lfq_batch_entropy"], "LFQ batch entropy");
            Close(z.grad!.reshape(30, 4), expected["lfq_grad"], "LFQ entropy gradient");
        }
    }
}
