using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Reporting;
using Latent.Runs;

namespace Latent.Cli.Commands;

/// <summary>Walks through the latent space between pairs of encoded test examples (any family).</summary>
public sealed class InterpolateCommand : Command
{
    public override string Name => "interpolate";
    public override string Summary => "decode straight (or spherical) walks between encoded test examples, one row per pair, as a PNG";
    public override string Usage => "latent interpolate --run DIR [--data SPEC] [--pairs P | --from I --to J] [--steps N] [--slerp] [--seed S] [--out FILE.png]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = BindRunData(arguments, manifest);
        int? from = arguments.Whole("from", 0, int.MaxValue), to = arguments.Whole("to", 0, int.MaxValue);
        int pairs = arguments.Whole("pairs", 1, 100) ?? 4, steps = arguments.Whole("steps", 2, 100) ?? 10;
        int seed = arguments.Whole("seed", int.MinValue, int.MaxValue) ?? 0;
        bool spherical = arguments.Flag("slerp");
        var outPath = arguments.OutputFile("out", run.File("interpolations.png"), "interpolations.png");
        arguments.RejectUnknown();
        if ((from is null) != (to is null)) throw new UserInputException("--from and --to go together; pass both test indices, or neither (then --pairs draws pairs)");
        if (from is not null && arguments.Has("pairs")) throw new UserInputException("--pairs draws random pairs; drop it when you pass --from and --to");
        if (manifest.Shape.Kind != DataKind.Image)
            throw new UserInputException($"{manifest.Shape} have no picture; interpolate image models only (or 'latent encode' and 'latent decode' by hand)");

        var test = RunData.Load(manifest, data, DataSplit.Test);
        int[] first, second;
        if (from is int a && to is int b)
        {
            if (a >= test.Count || b >= test.Count)
                throw new UserInputException($"--from {a} --to {b}: the test split has examples 0 to {test.Count - 1}; pass indices in that range");
            (first, second) = ([a], [b]);
        }
        else
        {
            if (test.Count < 2 * pairs) throw new UserInputException($"--pairs {pairs} needs {2 * pairs} test examples but there are {test.Count}; pass fewer --pairs");
            (first, second) = LatentFigures.RandomPairs(test.Count, pairs, seed);
        }

        using var model = run.LoadModel(manifest);
        using var images = LatentFigures.Interpolations(model, test.Subset(first).Features, test.Subset(second).Features, steps, spherical);
        ImageGrid.Save(outPath, images, columns: steps + 2, scale: 2);
        output.Line($"{first.Length} {(spherical ? "spherical" : "linear")} walks of {steps} steps written to {Path.GetFullPath(outPath)}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --run {"DIR",-17} the run whose encoder and decoder to use" +
        $"\n  --data {"SPEC",-16} take the examples from the test split of other data of the same shape [default: the run's]" +
        $"\n  --pairs {"P",-15} rows, each between two test examples drawn with --seed [default: 4]" +
        $"\n  --from {"I",-16} with --to J: one row between test examples I and J" +
        $"\n  --steps {"N",-15} decoded points per row, both ends included [default: 10]" +
        $"\n  --slerp {"",-15} walk along the great circle (spherical) instead of the straight line" +
        $"\n  --seed {"S",-16} seed that picks the pairs [default: 0]" +
        $"\n  --out {"FILE.png",-17} where to write the picture [default: DIR/interpolations.png]";
}
