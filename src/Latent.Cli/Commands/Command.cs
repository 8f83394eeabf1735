using Latent.Cli.CommandLine;
using Latent.Runs;

namespace Latent.Cli.Commands;

/// <summary>One verb of the command line: parses its options, calls the library, prints the result.</summary>
public abstract class Command
{
    public abstract string Name { get; }
    public abstract string Summary { get; }
    /// <summary>The synopsis line(s) shown by --help.</summary>
    public abstract string Usage { get; }

    public abstract int Run(Arguments arguments, Output output);

    /// <summary>Usage and options; <paramref name="arguments"/> may narrow it (e.g. to one model family).</summary>
    public virtual string Help(Arguments arguments) => $"{Summary}\n\nusage: {Usage}\n{OptionsHelp(arguments)}";

    protected virtual string OptionsHelp(Arguments arguments) => "";

    /// <summary>The run named by --run.</summary>
    protected static RunDirectory OpenRun(Arguments arguments) => RunDirectory.Open(arguments.Required("run", "runs/ae"));

    /// <summary>
    /// The run's data options with the command line's applied (e.g. another --data of the same shape);
    /// --classes is refused, since the labels a run was trained on are part of the run.
    /// </summary>
    protected static Latent.Data.DataOptions BindRunData(Arguments arguments, Manifest manifest)
    {
        if (arguments.Has("classes"))
            throw new UserInputException($"--classes is fixed when a run is trained ('{manifest.Data.Classes ?? "every label"}' here); drop it, or train another run with other --classes");
        return OptionBinder.Bind(arguments, manifest.Data);
    }
}
