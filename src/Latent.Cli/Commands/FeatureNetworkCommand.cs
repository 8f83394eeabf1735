using System.Globalization;
using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Evaluation.SampleQuality;

namespace Latent.Cli.Commands;

/// <summary>
/// Trains the classifier whose features <c>latent eval --sample-quality</c> compares in. Latent ships the
/// two it trained this way (src/Latent/Evaluation/SampleQuality/Networks/); this command is how they
/// were made, and how to make them again.
/// </summary>
public sealed class FeatureNetworkCommand : Command
{
    public override string Name => "feature-network";
    public override string Summary => "train the fixed classifier whose features --sample-quality compares (how the shipped ones were made)";
    public override string Usage => "latent feature-network --data fashion-mnist|shapes [--epochs N] [--seed S] --out FILE.safetensors";

    public override int Run(Arguments arguments, Output output)
    {
        int epochs = arguments.Whole("epochs", 1, 1000) ?? 5;
        int seed = arguments.Whole("seed", int.MinValue, int.MaxValue) ?? 0;
        var data = OptionBinder.Bind(arguments, new DataOptions { ValidationFraction = 0 });
        var outPath = arguments.OutputFile("out", null, "fashion-mnist.safetensors");
        arguments.RejectUnknown();

        var splits = DataCatalog.Load(data, seed);
        if (splits.Shape.Kind != DataKind.Image) throw new UserInputException($"a feature network reads images, not {splits.Shape}");
        output.Line($"training on {splits.Train.Count} images of {data.Data} for {epochs} epochs (seed {seed})");
        var (network, metadata) = FeatureNetwork.TrainFor(data.Data, splits.Train, splits.Test, epochs, seed, output.Line);
        using (network)
        {
            metadata["command"] = $"latent feature-network --data {data.Data} --epochs {epochs} --seed {seed}";
            network.Save(outPath, metadata);
        }
        output.Line($"test accuracy: {metadata["test_accuracy"]}");
        output.Line($"written to {Path.GetFullPath(outPath)}");
        return 0;
    }

    protected override string OptionsHelp(Arguments arguments) =>
        $"\n  --epochs {"N",-14} passes over the training split [default: 5]\n  --seed {"S",-16} seed of the weights and the order [default: 0]\n" +
        $"  --out {"FILE",-17} where to write the network (safetensors)\n\ndata options:\n{OptionBinder.Help(typeof(DataOptions), new DataOptions())}";
}
