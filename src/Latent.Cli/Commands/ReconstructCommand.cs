using Latent.Cli.CommandLine;
using Latent.Reporting;
using Latent.Runs;

namespace Latent.Cli.Commands;

public sealed class ReconstructCommand : Command
{
    public override string Name => "reconstruct";
    public override string Summary => "draw test examples above their reconstructions as a PNG grid";
    public override string Usage => "latent reconstruct --run DIR [--data SPEC] [--count N] [--out FILE.png]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = BindRunData(arguments, manifest);
        int count = arguments.Whole("count", 1, 10_000) ?? 32;
        var outPath = arguments.OutputFile("out", run.File("reconstructions.png"), "reconstructions.png");
        arguments.RejectUnknown();

        var test = RunData.Load(manifest, data, DataSplit.Test);
        using var model = run.LoadModel(manifest);
        if (!RunFigures.SaveReconstructions(outPath, model, test, count))
            throw new UserInputException($"{manifest.Shape} have no picture; use 'latent encode' and 'latent decode' to see reconstructions as numbers");
        output.Line($"written to {Path.GetFullPath(outPath)}");
        return 0;
    }
}
