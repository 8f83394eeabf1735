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
    public override string Summary => "fit PCA (exact, randomized or incremental) and write a run directory (encode/decode/eval work on it)";
    public override string Usage => "latent pca --data SPEC --components K [--whiten] [--solver auto|exact|randomized|incremental] [--out DIR]";

    public override int Run(Arguments arguments, Output output)
    {
        var command = "latent " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        var components = arguments.Whole("components", int.MinValue, int.MaxValue) ?? new PcaOptions().LatentDim;
        // --components is K; the solver options are PcaOptions' own (the network options do not apply).
        arguments.Flag("whiten"); // checked first: a flag with a value is refused here with the flag's own message
        if (arguments.Has("latent-dim"))
            throw new UserInputException("--latent-dim is --components on latent pca; pass --components K");
        var model = OptionBinder.Bind(arguments, new PcaOptions(), "pca") with { LatentDim = components };
        var data = OptionBinder.Bind(arguments, new DataOptions());
        var outPath = arguments.Value("out") ?? Path.Combine("runs", "pca");
        arguments.RejectUnknown();

        var result = Start(new FitRequest(model, data, outPath, command));
        var figures = result.Diagnosis.Figures;
        var notes = result.Diagnosis.Notes ?? new Dictionary<string, string>();
        output.Line($"fitted {components} components to {result.Examples}×{result.Features} in {result.Seconds:F3} s " +
                    $"({SolverDescription(notes.GetValueOrDefault(PcaFitKeys.Solver, "exact"), figures)}); " +
                    $"they explain {100 * figures[PcaFitKeys.ExplainedVarianceRatioTotal]:F2}% of the variance" +
                    (figures.TryGetValue(PcaFitKeys.EigenvalueGapRatio, out var gap) ? $" (λ{components}/λ{components + 1} = {gap:F4})" : ""));
        if (figures.TryGetValue(PcaFitKeys.Shortfall, out var shortfall))
            output.Line(string.Create(CultureInfo.InvariantCulture,
                $"against the exact fit ({figures[PcaFitKeys.ExactSeconds]:F1} s): the exact optimum explains {100 * figures[PcaFitKeys.ExactRatioTotal]:F4}%, " +
                $"shortfall {shortfall:0.0e0}, largest angle between the subspaces {figures[PcaFitKeys.AngleVsExact]:G3}°"));
        foreach (var warning in result.Diagnosis.Warnings) output.OnWarning(warning);
        output.Line($"run written to {result.Run.Path}");
        return 0;
    }

    /// <summary>Fits the run; the library's K is <see cref="PcaOptions.LatentDim"/>, which this command calls --components.</summary>
    static FitResult Start(FitRequest request)
    {
        try { return FitRun.Start(request); }
        catch (UserInputException error) when (error.Options.Contains(nameof(PcaOptions.LatentDim)))
        {
            throw new UserInputException(error.MessageIn(name => name == nameof(PcaOptions.LatentDim) ? "--components" : OptionBinder.Flag(name)));
        }
    }

    static string SolverDescription(string solver, IReadOnlyDictionary<string, double> figures) => solver switch
    {
        "randomized" => string.Create(CultureInfo.InvariantCulture,
            $"randomized block Krylov, {figures[PcaFitKeys.PowerIterations]} power iterations, {figures[PcaFitKeys.Oversamples]} oversamples"),
        "incremental" => string.Create(CultureInfo.InvariantCulture, $"incremental, {figures[PcaFitKeys.Batches]} batches of {figures[PcaFitKeys.BatchSize]} rows"),
        _ => "exact",
    };

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --components {"K",-10} number of principal components [default: {new PcaOptions().LatentDim}]" +
        $"\n{OptionBinder.Help(typeof(PcaOptions), new PcaOptions(), property => (property != nameof(PcaOptions.LatentDim) && new PcaOptions().Uses(property), ""))}" +
        $"\n  --out {"DIR",-17} run directory to create [default: runs/pca]" +
        $"\n\ndata options:\n{TrainCommand.DataHelp()}";
}
