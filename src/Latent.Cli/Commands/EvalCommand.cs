using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Evaluation;
using Latent.Models.Sampling;
using Latent.Runs;
using Latent.Workflows;

namespace Latent.Cli.Commands;

public sealed class EvalCommand : Command
{
    public override string Name => "eval";
    public override string Summary => "evaluate a run on its test split and write eval.json";
    public override string Usage => "latent eval --run DIR [--data SPEC] [--iwae-samples N] [--probe] [--probe-raw] [--anomaly [--fpr 0.01]] [--disentanglement] [--sample-quality [--sampler gmm]]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = BindRunData(arguments, manifest);
        var options = OptionBinder.Bind(arguments, new EvaluationOptions());
        var sampler = OptionBinder.Bind(arguments, new SamplerOptions());
        bool samplerGiven = OptionBinder.Given(arguments, typeof(SamplerOptions)).Any();
        arguments.RejectUnknown();

        var figures = RunEvaluation.Evaluate(run, options, data, sampler, samplerGiven, output.Line);
        foreach (var (key, value) in figures) output.Line($"{key,-26} {value.ToString("G6", CultureInfo.InvariantCulture)}");
        output.Line($"written to {run.EvalPath}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --run {"DIR",-17} the run to evaluate\n  --data {"SPEC",-16} evaluate on the test split of other data of the same shape [default: the run's]\n" +
        OptionBinder.Help(typeof(EvaluationOptions), new EvaluationOptions()) + "\n" + OptionBinder.Help(typeof(SamplerOptions), new SamplerOptions());
}
