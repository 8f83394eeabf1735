using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Evaluation;
using Latent.Runs;
using Latent.Workflows;

namespace Latent.Cli.Commands;

public sealed class ScoreCommand : Command
{
    public override string Name => "score";
    public override string Summary => "write an anomaly score per example (reconstruction error, −ELBO, codes' −log p) with thresholds calibrated on validation";
    public override string Usage => "latent score --run DIR [--data SPEC] [--out FILE.csv] [--split test|train|validation] [--fpr 0.01] [--iwae-samples N]";

    public override int Run(Arguments arguments, Output output)
    {
        var run = OpenRun(arguments);
        var manifest = run.ReadManifest();
        var data = BindRunData(arguments, manifest);
        var split = EncodeCommand.SplitOption(arguments);
        var options = OptionBinder.Bind(arguments, new AnomalyScoreOptions());
        var outPath = arguments.OutputFile("out", run.File("scores.csv"), "scores.csv");
        arguments.RejectUnknown();

        var result = RunScoring.Score(run, data, split, options, outPath);
        int count = result.Scores[0].Values.Length;
        output.Line($"{count} examples scored by {string.Join(", ", result.Scores.Select(column => column.Name))}; thresholds at a {options.Fpr.ToString("G3", CultureInfo.InvariantCulture)} false-positive rate on {result.Thresholds.CalibrationExamples} validation examples:");
        foreach (var column in result.Scores)
        {
            double threshold = result.Thresholds.Thresholds[column.Name];
            int flagged = column.Values.Count(value => value > threshold);
            output.Line($"  {column.Name,-10} threshold {threshold.ToString("G6", CultureInfo.InvariantCulture),-12} {flagged} of {count} above it");
        }
        output.Line($"written to {result.CsvPath} and {result.ThresholdsPath}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --run {"DIR",-17} the run whose model scores" +
        $"\n  --data {"SPEC",-16} the data to score, of the run's shape [default: the run's]" +
        $"\n  --split {"SPLIT",-15} test, train or validation [default: test]" +
        $"\n  --out {"FILE.csv",-17} the scores (index, label, one column per score, anomalous_SCORE) [default: DIR/scores.csv, which the explorer shows]; thresholds in FILE.thresholds.json\n" +
        OptionBinder.Help(typeof(AnomalyScoreOptions), new AnomalyScoreOptions());
}
