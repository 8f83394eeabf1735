using Latent.Models;
using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Evaluation;
using Latent.Reporting;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Cli.Commands;

public sealed class DecodeCommand : Command
{
    public override string Name => "decode";
    public override string Summary => "decode latent codes from a CSV file (or a VQ-VAE's FILE.vq) into images (or rows)";
    public override string Usage => "latent decode --run DIR --in FILE.csv|FILE.vq --out FILE.png|FILE.csv [--label L]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var inPath = arguments.Required("in", "z.csv");
        var outPath = arguments.OutputFile("out", null, "decoded.png");
        var label = arguments.Value("label");
        arguments.RejectUnknown();

        using var model = run.LoadModel(manifest);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor decoded;
        if (inPath.EndsWith(".vq", StringComparison.OrdinalIgnoreCase))
            decoded = PackedCodes.Decode(model as IDiscreteCodes ?? throw new UserInputException($"a {manifest.Family} model cannot decode VQ codes; pass the vqvae --run that wrote '{inPath}'"), inPath);
        else
        {
            var codes = LatentCsv.Read(inPath, model.RepresentationSize);
            if (model.Condition is { } condition)
            {
                // A conditioned run decodes each code with its label: --label for all of them, else the file's label column.
                var labels = label is not null ? Enumerable.Repeat(condition.Resolve(label, manifest.LabelNames), (int)codes.shape[0]).ToArray()
                    : LatentCsv.ReadLabels(inPath) ?? throw new UserInputException($"'{run.Path}' is conditioned on labels and '{inPath}' has no label column; pass --label L, or codes written by 'latent encode' from data with labels");
                using var given = model.Given(tensor(labels.Select(value => (long)value).ToArray()));
                decoded = model.Decode(codes);
            }
            else if (label is not null)
                throw new UserInputException($"--label applies to runs trained with --condition label, and '{run.Path}' is unconditional; drop --label");
            else decoded = Batched.Apply(model.Decode, codes);
        }
        if (outPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            LatentCsv.Write(outPath, decoded.flatten(1), labels: null);
        else if (manifest.Shape.Kind == DataKind.Image)
            ImageGrid.SaveSquare(outPath, decoded);
        else
            throw new UserInputException($"{manifest.Shape} have no picture; pass --out FILE.csv");
        output.Line($"{decoded.shape[0]} examples decoded to {Path.GetFullPath(outPath)}");
        return 0;
    }
}
