using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Evaluation;
using Latent.Runs;
using Latent.Workflows;

namespace Latent.Cli.Commands;

public sealed class EvalCommand : Command
{
    public override string Name => "eval";
    public override string Summary => "evaluate a run on its test split and write eval.json";
    public override string Usage => "latent eval --run DIR [--data SPEC] [--iwae-samples N] [--probe] [--probe-raw]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = OptionBinder.Bind(arguments, manifest.Data);
        var options = OptionBinder.Bind(arguments, new EvaluationOptions());
        arguments.RejectUnknown();

        var figures = RunEvaluation.Evaluate(run, options, data);
        foreach (var (key, value) in figures) output.Line($"{key,-26} {value.ToString("G6", CultureInfo.InvariantCulture)}");
        output.Line($"written to {run.EvalPath}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --run {"DIR",-17} the run to evaluate\n  --data {"SPEC",-16} evaluate on the test split of other data of the same shape [default: the run's]\n" +
        OptionBinder.Help(typeof(EvaluationOptions), new EvaluationOptions());
}
