using System.Runtime.InteropServices;
using Latent.Cli.CommandLine;
using Latent.Explorer;

namespace Latent.Cli.Commands;

/// <summary>Serves the interactive latent-space explorer on this machine until Ctrl-C (or SIGTERM).</summary>
public sealed class ExploreCommand : Command
{
    public override string Name => "explore";
    public override string Summary => "a local web page to move through runs' latent spaces: map, sliders, walks, samples, VQ codes, painting";
    public override string Usage => "latent explore --run DIR [--run DIR2 ...] [--port P] [--host ADDRESS] [--data SPEC]";

    public override int Run(Arguments arguments, Output output)
    {
        var runs = arguments.Repeatable("run");
        var options = new ExplorerOptions
        {
            Runs = runs is { Count: > 0 } ? runs : throw new UserInputException("'latent explore' needs --run; pass e.g. --run runs/vae (or --run A --run B for side by side)"),
            Port = arguments.Whole("port", 0, 65535) ?? 8000,
            Host = arguments.Value("host") ?? "127.0.0.1",
            Data = arguments.Value("data"),
        };
        arguments.RejectUnknown();
        options.Validate();

        // Ctrl-C and SIGTERM stop the server; the process then ends normally, with exit code 0.
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        var server = ExplorerServer.StartAsync(options, message => Console.Error.WriteLine(message)).GetAwaiter().GetResult();
        try
        {
            output.Line($"exploring {string.Join(", ", server.Runs.Select(run => run.Name))} at {server.Address}  (Ctrl-C stops)");
            try { server.WaitForShutdownAsync(stop.Token).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        output.Line("explorer stopped");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --run {"DIR",-17} a run to explore; repeat it (--run A --run B) to put runs side by side" +
        $"\n  --port {"P",-16} the port to listen on, 0 for any free one [default: 8000]" +
        $"\n  --host {"ADDRESS",-16} the address to listen on [default: 127.0.0.1, this machine only]" +
        $"\n  --data {"SPEC",-16} take the test examples from other data of the same shape [default: each run's own]";
}
