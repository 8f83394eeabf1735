using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Latent.Tests.Export;

/// <summary>Runs ONNX graphs in ONNX Runtime on TorchSharp tensors, and ONNX's own checker where Debian's python3-onnx is installed.</summary>
public static class OnnxRuntimeRunner
{
    /// <summary>Runs <paramref name="model"/> (the bytes of an .onnx file) on named inputs; returns every output as a tensor.</summary>
    public static Dictionary<string, Tensor> Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(pair => ToOnnx(pair.Key, pair.Value)).ToList();
        using var results = session.Run(values);
        return results.ToDictionary(result => result.Name, result => FromOnnx(result));
    }

    static NamedOnnxValue ToOnnx(string name, Tensor tensor)
    {
        var contiguous = tensor.cpu().contiguous();
        var dimensions = contiguous.shape.Select(d => (int)d).ToArray();
        return contiguous.dtype switch
        {
            ScalarType.Float32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(contiguous.data<float>().ToArray(), dimensions)),
            ScalarType.Int64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(contiguous.data<long>().ToArray(), dimensions)),
            ScalarType.Bool => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(contiguous.data<bool>().ToArray(), dimensions)),
            var other => throw new ArgumentException($"no ONNX input for {other}"),
        };
    }

    static Tensor FromOnnx(DisposableNamedOnnxValue value)
    {
        switch (value.Value)
        {
            case DenseTensor<float> floats: return tensor(floats.ToArray(), floats.Dimensions.ToArray().Select(d => (long)d).ToArray());
            case DenseTensor<long> longs: return tensor(longs.ToArray(), longs.Dimensions.ToArray().Select(d => (long)d).ToArray());
            case DenseTensor<bool> bools: return tensor(bools.ToArray(), bools.Dimensions.ToArray().Select(d => (long)d).ToArray());
            default: throw new ArgumentException($"unexpected ONNX output {value.Value?.GetType().Name}");
        }
    }

    /// <summary>
    /// max |actual − expected| / max(max |expected|, 1e-6): the largest error relative to the scale of
    /// the expected output (an element-wise ratio would blow up wherever the expected value is near 0).
    /// </summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var a = actual.to(ScalarType.Float64);
        var b = expected.to(ScalarType.Float64).cpu();
        return (a - b).abs().max().item<double>() / Math.Max(b.abs().max().item<double>(), 1e-6);
    }

    /// <summary>Whether /usr/bin/python3 can import onnx (Debian's python3-onnx).</summary>
    public static bool CheckerInstalled { get; } = RunPython("import onnx", out _) == 0;

    /// <summary>
    /// Runs onnx.checker.check_model(model, full_check=True) on each file (full_check adds strict
    /// shape inference); returns null when all pass, else the checker's message.
    /// </summary>
    public static string? Check(params string[] files)
    {
        const string script = "import sys, onnx\nfor path in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(path), full_check=True)\n";
        return RunPython(script, out var error, files) == 0 ? null : error;
    }

    static int RunPython(string script, out string error, params string[] arguments)
    {
        error = "";
        if (!File.Exists("/usr/bin/python3")) return -1;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errorText = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        error = errorText.Result.Trim();
        return process.ExitCode;
    }
}
