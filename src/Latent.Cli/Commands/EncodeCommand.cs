using Latent.Models;
using Latent.Cli.CommandLine;
using Latent.Evaluation;
using Latent.Runs;

namespace Latent.Cli.Commands;

public sealed class EncodeCommand : Command
{
    public override string Name => "encode";
    public override string Summary => "write the latent codes of a data split as CSV (or a VQ-VAE's discrete codes, bit-packed, as FILE.vq)";
    public override string Usage => "latent encode --run DIR --data SPEC --out FILE.csv|FILE.vq [--split test|train|validation]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = BindRunData(arguments, manifest);
        var split = SplitOption(arguments);
        var outPath = arguments.OutputFile("out", null, "z.csv");
        arguments.RejectUnknown();

        var dataset = RunData.Load(manifest, data, split);
        using var model = run.LoadModel(manifest);
        if (outPath.EndsWith(".vq", StringComparison.OrdinalIgnoreCase))
        {
            var vq = model as IDiscreteCodes ?? throw new UserInputException($"a {manifest.Family} model has no discrete codes to pack; pass --out FILE.csv, or a vqvae --run");
            long bytes = PackedCodes.Encode(vq, dataset, outPath);
            string perExample = vq.Space.MixedRadix
                ? $"{string.Join("×", vq.Grid)} positions × {vq.Heads} codes of K = {vq.CodebookSize} as one mixed-radix number"
                : $"{string.Join("×", vq.Grid)} positions × {vq.Heads} codes × {PackedCodes.BitsPerCode(vq.CodebookSize)} bits";
            output.Line($"{dataset.Count} examples × {vq.BitsPerExample} bits ({perExample}) = {bytes} bytes written to {Path.GetFullPath(outPath)}");
            return 0;
        }
        using var codes = Batched.Encode(model, dataset);
        LatentCsv.Write(outPath, codes, dataset.Labels);
        output.Line($"{dataset.Count} codes of dimension {codes.shape[1]} written to {Path.GetFullPath(outPath)}");
        return 0;
    }

    /// <summary>The split --split names (test by default).</summary>
    internal static DataSplit SplitOption(Arguments arguments) => arguments.Value("split") switch
    {
        null or "test" => DataSplit.Test,
        "train" => DataSplit.Train,
        "validation" => DataSplit.Validation,
        var other => throw new UserInputException($"--split '{other}' is not a split; pass test, train or validation"),
    };
}
