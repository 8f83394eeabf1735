using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Models;
using Latent.Reporting;
using static TorchSharp.torch;

namespace Latent.Cli.Commands;

public sealed class SampleCommand : Command
{
    public override string Name => "sample";
    public override string Summary => "generate new examples from a model that can sample, as a PNG grid";
    public override string Usage => "latent sample --run DIR [--count N] [--seed S] [--out FILE.png]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        int count = ReconstructCommand.Count(arguments, 64);
        int seed = arguments.Value("seed") is string text
            ? int.TryParse(text, out int value) ? value : throw new UserInputException($"--seed '{text}' is not a whole number")
            : 0;
        var outPath = arguments.Value("out") ?? run.File("samples.png");
        arguments.RejectUnknown();

        using var model = run.LoadModel(manifest);
        if (model is not IGenerative generative)
            throw new UserInputException($"a {manifest.Family} model has no prior to sample from; train --model vae (or vqvae) to generate new examples");
        if (manifest.Shape.Kind != DataKind.Image)
            throw new UserInputException($"{manifest.Shape} have no picture; sample image models only");
        manual_seed(seed);
        using var noGrad = no_grad();
        using var samples = generative.Sample(count);
        ImageGrid.Save(outPath, samples, columns: (int)Math.Ceiling(Math.Sqrt(count)), scale: 2);
        output.Line($"{count} samples written to {Path.GetFullPath(outPath)}");
        return 0;
    }
}
