using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using Latent.Models.Sampling;
using Latent.Reporting;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Cli.Commands;

public sealed class SampleCommand : Command
{
    public override string Name => "sample";
    public override string Summary => "generate new examples (the model's prior, or a Gaussian/GMM fitted to its codes) as a PNG grid";
    public override string Usage => "latent sample --run DIR [--count N] [--seed S] [--label L] [--sampler prior|gaussian|gmm] [--components K] [--out FILE.png]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        int count = arguments.Whole("count", 1, 10_000) ?? 64;
        int seed = arguments.Whole("seed", int.MinValue, int.MaxValue) ?? 0;
        var options = OptionBinder.Bind(arguments, new SamplerOptions());
        bool componentsGiven = arguments.Has("components");
        var outPath = arguments.OutputFile("out", run.File("samples.png"), "samples.png");
        var label = arguments.Value("label");
        arguments.RejectUnknown();
        options.Validate();

        using var model = run.LoadModel(manifest);
        if (manifest.Shape.Kind != DataKind.Image)
            throw new UserInputException($"{manifest.Shape} have no picture; sample image models only");
        var kind = options.Sampler ?? (model is IGenerative ? SamplerKind.Prior
            : throw new UserInputException($"a {manifest.Family} model has no prior to sample from; pass --sampler gmm (or gaussian) to fit one to its training codes, or train --model vae"));
        if (kind == SamplerKind.Prior && model is not IGenerative)
            throw new UserInputException($"a {manifest.Family} model has no prior to sample from; pass --sampler gmm (or gaussian) to fit one to its training codes");
        if (kind == SamplerKind.Prior && model is IGenerative { CanSample: false })
            throw new UserInputException($"the prior of this run has not been fitted yet (its training stopped before that); run 'latent train --resume --out {run.Path}' to fit it, or pass --sampler gmm");
        if (kind == SamplerKind.Gaussian && componentsGiven)
            throw new UserInputException("--components applies to --sampler gmm; drop it for --sampler gaussian (a single component)");

        if (label is not null && model.Condition is null)
            throw new UserInputException($"--label applies to runs trained with --condition label, and '{run.Path}' is unconditional; drop --label");
        using var noGrad = no_grad();
        // A conditioned run draws the class asked for, or every class in equal shares (in blocks, one per row of a grid of K·n).
        using var labels = model.Condition is not { } condition ? null
            : label is null ? condition.EqualShares(count) : full(count, condition.Resolve(label, manifest.LabelNames), dtype: ScalarType.Int64);
        using var given = model.Given(labels);
        Tensor samples;
        if (kind == SamplerKind.Prior)
        {
            manual_seed(seed);
            samples = ((IGenerative)model).Sample(count);
        }
        else
        {
            var path = run.File(SamplerFile.FileName(kind, options.Components));
            var (mixture, reused) = SamplerFile.LoadOrFit(path, run.ModelPath, kind, options.Components, () =>
            {
                var train = RunData.Load(manifest, manifest.Data, DataSplit.Train);
                output.Line($"fitting a {(kind == SamplerKind.Gaussian ? "Gaussian" : $"{options.Components}-component Gaussian mixture")} to the codes of {train.Count} training examples");
                return Batched.Encode(model, train);
            }, manifest.Training?.Seed ?? 0);
            using (mixture)
            {
                output.Line(reused ? $"reusing the sampler in {path}" : $"sampler written to {path}");
                manual_seed(seed);
                using var codes = mixture.Sample(count);
                samples = model.Decode(codes);
            }
        }
        using (samples) ImageGrid.SaveSquare(outPath, samples);
        output.Line($"{count} samples written to {Path.GetFullPath(outPath)}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --run {"DIR",-17} the run to sample from\n  --count {"N",-15} how many examples [default: 64]\n  --seed {"S",-16} seed of the draws [default: 0]\n" +
        $"  --label {"L",-15} a run trained with --condition label: draw this class, by number or name (e.g. 7, sneaker) [default: every class, in equal shares]\n" +
        $"  --out {"FILE.png",-17} where to write the grid [default: DIR/samples.png]\n" +
        OptionBinder.Help(typeof(SamplerOptions), new SamplerOptions());
}
