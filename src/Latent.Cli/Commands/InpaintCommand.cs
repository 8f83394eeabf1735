using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Models;
using Latent.Reporting;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Cli.Commands;

public sealed class InpaintCommand : Command
{
    public override string Name => "inpaint";
    public override string Summary => "hide part of test examples and let a dae or mae fill it in (a PNG for images, text for tokens)";
    public override string Usage => "latent inpaint --run DIR [--data SPEC] [--mask center|random:F|box:X,Y,W,H] [--count N] [--seed S] [--out FILE.png]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = OptionBinder.Bind(arguments, manifest.Data);
        var mask = InpaintMask.Parse(arguments.Value("mask") ?? "center");
        bool isImage = manifest.Shape.Kind == DataKind.Image;
        int count = arguments.Whole("count", 1, 10_000) ?? (isImage ? 8 : 4);
        int seed = arguments.Whole("seed", int.MinValue, int.MaxValue) ?? 0;
        if (!isImage && arguments.Has("out"))
            throw new UserInputException($"--out applies to images, and {manifest.Shape} are printed instead; drop --out (or redirect the output)");
        var outPath = isImage ? arguments.OutputFile("out", run.File("inpaint.png"), "inpaint.png") : "";
        arguments.RejectUnknown();

        using var model = run.LoadModel(manifest);
        if (model is not IInpainting inpainting)
            throw new UserInputException($"a {manifest.Family} model was not trained to fill in hidden parts; train --model dae (with --noise mask:P) or --model mae");
        var test = RunData.Load(manifest, data, DataSplit.Test);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed, CPU);
        var examples = test.Features.narrow(0, 0, Math.Min(count, test.Count));
        var missing = mask.Build(manifest.Shape, (int)examples.shape[0], inpainting.MaskUnit, generator);
        var result = inpainting.Inpaint(examples, missing);

        switch (manifest.Shape.Kind)
        {
            case DataKind.Image:
                InpaintFigures.SaveImages(outPath, examples, result);
                output.Line($"originals, masked inputs (hidden pixels in blue) and filled-in results written to {Path.GetFullPath(outPath)}");
                break;
            case DataKind.Tokens:
                var tokens = data.Vocabulary ?? throw new UserInputException($"'{run.Path}' records no vocabulary; train the run again with this version");
                foreach (var line in InpaintFigures.Text(examples, result, new Vocabulary(tokens), data.Tokens)) output.Line(line);
                var (correct, hidden) = InpaintFigures.TokenScore(examples, result);
                output.Line($"[x] filled in x correctly, [x≠y] filled in x where the text has y: {correct} of {hidden} hidden tokens right ({100.0 * correct / Math.Max(1, hidden):F1}%)");
                break;
            default:
                foreach (var line in InpaintFigures.Rows(examples, result)) output.Line(line);
                break;
        }
        return 0;
    }
}
