using Latent.Cli.CommandLine;
using Latent.Runs;
using Latent.Workflows;

namespace Latent.Cli.Commands;

public sealed class DemoCommand : Command
{
    public override string Name => "demo";
    public override string Summary => "the main job: train every family briefly, evaluate, and draw the figures";
    public override string Usage => "latent demo [--out DIR] [--full]";

    public override int Run(Arguments arguments, Output output)
    {
        var options = OptionBinder.Bind(arguments, new DemoOptions());
        arguments.RejectUnknown();
        var runs = Demo.Run(options, output, output.Line);
        output.Line($"demo finished: {runs.Count} runs in {Path.GetFullPath(options.Out)}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) => OptionBinder.Help(typeof(DemoOptions), new DemoOptions());
}
