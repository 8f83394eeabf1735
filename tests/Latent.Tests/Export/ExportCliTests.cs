using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Latent.Runs;
using static Latent.Tests.Cli.CliRunner;
using static TorchSharp.torch;

namespace Latent.Tests.Export;

/// <summary>'latent export' on trained runs, as a user would run it: the files, export.json, a re-export, bad input, and the example that decodes with ONNX Runtime alone.</summary>
public sealed class ExportCliTests
{
    static string TrainVae(TempDirectory folder, string name = "run")
    {
        var run = folder.File(name);
        var train = Run("train", "--model", "vae", "--data", "shapes", "--limit", "200", "--epochs", "1", "--hidden", "32", "--latent-dim", "4", "--out", run, "--quiet");
        Assert.Equal(0, train.Code);
        return run;
    }

    [Fact]
    public void Export_writes_the_graphs_and_an_export_json_that_describes_them()
    {
        using var folder = new TempDirectory();
        var run = TrainVae(folder);
        var result = Run("export", "--run", run, "--format", "onnx");
        Assert.Equal(0, result.Code);
        Assert.Contains("decoder.onnx", result.Output);
        var export = Path.Combine(run, "onnx");
        Assert.True(File.Exists(Path.Combine(export, "encoder.onnx")));
        Assert.True(File.Exists(Path.Combine(export, "decoder.onnx")));

        var description = JsonNode.Parse(File.ReadAllText(Path.Combine(export, "export.json")))!;
        Assert.Equal("vae", (string)description["family"]!);
        Assert.Equal(17, (int)description["opset"]!);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(run, "manifest.json")))), (string)description["run"]!["manifest_sha256"]!);
        Assert.Equal("standard_normal", (string)description["latent_prior"]!["kind"]!);
        var encoderOutputs = description["graphs"]!["encoder"]!["outputs"]!.AsArray().Select(o => (string)o!["name"]!).ToArray();
        Assert.Equal(["mean", "log_variance"], encoderOutputs);
        var decoderInput = description["graphs"]!["decoder"]!["inputs"]![0]!;
        Assert.Equal("float32", (string)decoderInput["dtype"]!);
        Assert.Equal("[\"batch\",4]", decoderInput["shape"]!.ToJsonString());
        Assert.Equal(1.0 / 255, (double)description["preprocessing"]!["pixel_scale"]!, 12);

        // The exported decoder, run in ONNX Runtime, decodes as the run's model does.
        var model = RunDirectory.Open(run).LoadModel(RunDirectory.Open(run).ReadManifest());
        using var noGrad = no_grad();
        var z = randn(3, 4);
        var decoded = OnnxRuntimeRunner.Run(File.ReadAllBytes(Path.Combine(export, "decoder.onnx")), new Dictionary<string, Tensor> { ["z"] = z })["x_hat"];
        Assert.True(OnnxRuntimeRunner.RelativeError(decoded, model.Decode(z)) <= 1e-5);

        // Exporting again replaces the export and leaves nothing else beside it.
        Assert.Equal(0, Run("export", "--run", run, "--quiet").Code);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(run), entry => Path.GetFileName(entry).EndsWith(".tmp"));
    }

    [Fact]
    public void Bad_input_is_a_one_line_error_and_writes_nothing()
    {
        using var folder = new TempDirectory();
        var run = TrainVae(folder);

        var occupied = folder.File("occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "notes.txt"), "keep me");
        AssertUsageError(Run("export", "--run", run, "--out", occupied), "is not an export folder");
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(occupied).Select(Path.GetFileName));

        File.WriteAllText(folder.File("file"), "");
        AssertUsageError(Run("export", "--run", run, "--out", folder.File("file")), "is a file");
        AssertUsageError(Run("export", "--run", run, "--format", "tflite"), "pass --format onnx");
        AssertUsageError(Run("export", "--run", folder.File("missing")), "does not exist");

        File.Delete(Path.Combine(run, "model.safetensors"));
        AssertUsageError(Run("export", "--run", run), "has no model.safetensors");
        Assert.False(Directory.Exists(Path.Combine(run, "onnx")));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(run), entry => Path.GetFileName(entry).EndsWith(".tmp"));
    }

    [SkippableFact]
    public void The_example_decodes_random_latents_with_onnx_runtime_alone()
    {
        using var folder = new TempDirectory();
        var run = TrainVae(folder);
        Assert.Equal(0, Run("export", "--run", run, "--out", folder.File("export"), "--quiet").Code);

        var project = Path.Combine(RepositoryRoot(), "examples", "onnx-decoder");
        var build = Dotnet("build", project, "-c", "Release", "-o", folder.File("example"));
        Skip.If(build.Code != 0 && build.Output.Contains("NU1301"), "dotnet cannot restore the example's packages here (NU1301), so the example was not built");
        Assert.True(build.Code == 0, build.Output);
        Assert.DoesNotContain(Directory.EnumerateFiles(folder.File("example"), "*", SearchOption.AllDirectories), file => Path.GetFileName(file).Contains("torch", StringComparison.OrdinalIgnoreCase));

        var png = folder.File("samples.png");
        var decode = Dotnet(Path.Combine(folder.File("example"), "OnnxDecoder.dll"), folder.File("export"), png, "9", "1");
        Assert.True(decode.Code == 0, decode.Output);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        // 3 × 3 tiles of 32 × 32 with 1-pixel borders: 3·33 + 1 = 100 pixels a side
        Assert.Equal(100, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(100, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Latent.slnx"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Latent.slnx) is not above the test binaries");
    }

    static (int Code, string Output) Dotnet(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // The test host's MSBuild settings would point the nested build at the test run's own MSBuild.
        foreach (var key in start.Environment.Keys.Where(key => key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(key);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}
