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
    public override string Usage => "latent decode --run DIR --in FILE.csv|FILE.vq --out FILE.png|FILE.csv";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var inPath = arguments.Required("in", "z.csv");
        var outPath = arguments.OutputFile("out", null, "decoded.png");
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
            decoded = Batched.Apply(model.Decode, codes);
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
