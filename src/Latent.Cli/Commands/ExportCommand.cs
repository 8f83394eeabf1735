using Latent.Cli.CommandLine;
using Latent.Export;

namespace Latent.Cli.Commands;

public sealed class ExportCommand : Command
{
    public override string Name => "export";
    public override string Summary => "write a run's encoder and decoder as ONNX graphs (encoder.onnx, decoder.onnx, export.json) for ONNX Runtime";
    public override string Usage => "latent export --run DIR [--format onnx] [--out DIR (default: DIR/onnx)]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var format = arguments.Value("format") ?? "onnx";
        if (!format.Equals("onnx", StringComparison.OrdinalIgnoreCase))
            throw new UserInputException($"--format '{format}' is not an export format; pass --format onnx");
        var outDirectory = arguments.Value("out");
        arguments.RejectUnknown();
        OnnxExport.Destination(run, outDirectory); // refuse a bad --out before the model is loaded

        var result = OnnxExport.Export(run, outDirectory);
        foreach (var file in result.Files)
            output.Line($"{Path.GetFileName(file.Path),-14} {file.Bytes,10:N0} bytes  {Signature(file)}");
        output.Line($"ONNX opset {OnnxExport.Opset}, described in {Path.Combine(result.Directory, OnnxExport.DescriptionFile)}");
        return 0;
    }

    static string Signature(ExportedFile file) =>
        $"({string.Join(", ", file.Inputs.Select(Describe))}) → ({string.Join(", ", file.Outputs.Select(Describe))})";

    static string Describe(TensorSpec spec) => $"{spec.Name} {spec.DType}[{string.Join(", ", spec.Shape)}]";
}
