using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Models.Pca;
using Latent.Runs;
using Latent.Workflows;

namespace Latent.Cli.Commands;

public sealed class PcaCommand : Command
{
    public override string Name => "pca";
    public override string Summary => "fit exact PCA in closed form and write a run directory (encode/decode/eval work on it)";
    public override string Usage => "latent pca --data SPEC --components K [--whiten] [--out DIR]";

    public override int Run(Arguments arguments, Output output)
    {
        var command = "latent " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        var components = arguments.Whole("components", int.MinValue, int.MaxValue) ?? new PcaOptions().LatentDim;
        var model = new PcaOptions { LatentDim = components, Whiten = arguments.Flag("whiten") };
        var data = OptionBinder.Bind(arguments, new DataOptions());
        var outPath = arguments.Value("out") ?? Path.Combine("runs", "pca");
        arguments.RejectUnknown();

        var result = FitRun.Start(new FitRequest(model, data, outPath, command));
        var figures = result.Diagnosis.Figures;
        output.Line($"fitted {components} components to {result.Examples}×{result.Features} in {result.Seconds:F3} s; " +
                    $"they explain {100 * figures["explained_variance_ratio_total"]:F2}% of the variance" +
                    (figures.TryGetValue("eigenvalue_gap_ratio", out var gap) ? $" (λ{components}/λ{components + 1} = {gap:F4})" : ""));
        foreach (var warning in result.Diagnosis.Warnings) output.OnWarning(warning);
        output.Line($"run written to {result.Run.Path}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --components {"K",-10} number of principal components [default: {new PcaOptions().LatentDim}]" +
        $"\n  --whiten {"",-14} scale the codes to unit variance (z_k / √λ_k); decode undoes it" +
        $"\n  --out {"DIR",-17} run directory to create [default: runs/pca]" +
        $"\n\ndata options:\n{TrainCommand.DataHelp()}";
}
