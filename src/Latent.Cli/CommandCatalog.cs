using Latent.Cli.Commands;

namespace Latent.Cli;

/// <summary>The one list of verbs.</summary>
public static class CommandCatalog
{
    public static readonly IReadOnlyList<Command> Commands =
    [
        new TrainCommand(), new PcaCommand(), new EvalCommand(), new ReconstructCommand(), new SampleCommand(), new InterpolateCommand(), new InpaintCommand(),
        new EncodeCommand(), new DecodeCommand(), new ExportCommand(), new ReportCommand(), new ExploreCommand(), new BenchCommand(), new DemoCommand(),
    ];

    public static Command Find(string verb) =>
        Commands.FirstOrDefault(command => command.Name == verb)
        ?? throw new UserInputException($"unknown command '{verb}'; run 'latent --help' to list the commands");

    public static string Overview() =>
        "latent: autoencoders, VAEs, denoising and masked autoencoders, VQ-VAEs and PCA on TorchSharp\n\n" +
        "usage: latent COMMAND [--option value ...]   (latent COMMAND --help for its options)\n\ncommands:\n" +
        string.Join('\n', Commands.Select(command => $"  {command.Name,-12} {command.Summary}")) +
        "\n\ncommon options:\n  --quiet                 print nothing but errors\n  --threads N             CPU threads for libtorch [default: libtorch's choice]" +
        "\n  --help, -h              this overview, or a command's options after its name\n  --version               Latent's version and those of TorchSharp and libtorch";
}
