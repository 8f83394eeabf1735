using Latent.Benchmarks;
using Latent.Cli.CommandLine;

namespace Latent.Cli.Commands;

public sealed class BenchCommand : Command
{
    public override string Name => "bench";
    public override string Summary => "measure training and encoding throughput against this machine's GEMM peak";
    public override string Usage => "latent bench [--quick] [--out bench.json]";

    public override int Run(Arguments arguments, Output output)
    {
        var options = OptionBinder.Bind(arguments, new BenchOptions());
        arguments.RejectUnknown();
        UserPaths.RequireWritableFile(options.Out, "--out", "pass a file name, e.g. --out bench.json"); // before minutes of measuring
        Bench.Run(options, output.Line);
        output.Line($"written to {Path.GetFullPath(options.Out)}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) => OptionBinder.Help(typeof(BenchOptions), new BenchOptions());
}
