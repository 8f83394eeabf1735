using Latent.Families;
using Latent.Cli.CommandLine;
using Latent.Data;
using Latent.Models;
using Latent.Runs;
using Latent.Workflows;
using Latent.Training;

namespace Latent.Cli.Commands;

public sealed class TrainCommand : Command
{
    public override string Name => "train";
    public override string Summary => "train a model and write a run directory";
    public override string Usage =>
        "latent train --model FAMILY --data SPEC [--arch mlp|conv] [--latent-dim D] [--epochs N] [--out DIR] [--resume] [family options]";

    public override int Run(Arguments arguments, Output output)
    {
        var command = "latent " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        if (arguments.Flag("resume")) return Resume(arguments, output);

        var family = ModelCatalog.Find(arguments.Value("model") ?? "ae");
        var model = (ModelOptions)OptionBinder.Bind(arguments, family.DefaultOptions(), family.OptionsType, $"--model {family.Name}");
        var data = OptionBinder.Bind(arguments, new DataOptions());
        var training = OptionBinder.Bind(arguments, family.DefaultTraining);
        var outPath = arguments.Value("out") ?? Path.Combine("runs", family.Name);
        arguments.RejectUnknown();
        if (family.ClosedForm) // the library says "fit it instead"; the command line names the command that does
            throw new UserInputException($"{family.Name} is fitted in closed form, not trained; run 'latent {family.Name} --data {data.Data}' instead");

        var run = TrainingRun.Start(new TrainRequest(model, data, training, outPath, command), output);
        output.Line($"run written to {run.Path}");
        return 0;
    }

    /// <summary>
    /// Continues the run in --out. Options other than --epochs must agree with the manifest: a resumed
    /// run is the same run, so a changed option is an error rather than silently ignored.
    /// </summary>
    static int Resume(Arguments arguments, Output output)
    {
        var path = arguments.Required("out", "runs/ae");
        var manifest = RunDirectory.Open(path).ReadManifest();
        if (arguments.Value("model") is string name && ModelCatalog.Find(name).Name != manifest.Family)
            throw new UserInputException($"'{path}' is a {manifest.Family} run, not {name}; drop --model or pass another --out");
        int? epochs = arguments.Has("epochs") ? OptionBinder.Bind(arguments, manifest.Training ?? new TrainingOptions()).Epochs : null;
        CheckUnchanged(arguments, manifest.Model, path);
        CheckUnchanged(arguments, manifest.Data, path);
        if (manifest.Training is not null) CheckUnchanged(arguments, manifest.Training, path);
        arguments.RejectUnknown();

        var run = TrainingRun.Resume(path, epochs, output);
        output.Line($"run resumed and written to {run.Path}");
        return 0;
    }

    static void CheckUnchanged(Arguments arguments, object recorded, string path)
    {
        var type = recorded.GetType();
        var given = OptionBinder.Bind(arguments, recorded, type);
        foreach (var (name, property, _) in OptionBinder.Options(type))
        {
            if (name == "epochs") continue;
            var (before, after) = (property.GetValue(recorded), property.GetValue(given));
            bool same = before is int[] a && after is int[] b ? a.SequenceEqual(b) : Equals(before, after);
            if (!same)
                throw new UserInputException($"--{name} differs from the value '{path}' was started with; drop it to resume (only --epochs may change)");
        }
    }

    /// <summary>
    /// A family's options that apply with some architecture (and some value of the family's own <see cref="ModelOptions.Choice"/>,
    /// e.g. --quantizer), marked with the architectures and the values when not all.
    /// </summary>
    static Func<string, (bool, string)> ModelHelp(ModelFamily family) => property =>
    {
        var defaults = family.DefaultOptions();
        if (property == nameof(ModelOptions.Arch))
            return (family.Architectures.Count > 1 || defaults.Uses(property), "one of " + string.Join(", ", family.Architectures.Select(arch => OptionNames.Kebab(arch))));
        var choice = defaults.Choice;
        var variants = choice?.Alternatives.Select(alternative => alternative.Options).ToList() ?? [defaults];
        bool Uses(Architecture arch, ModelOptions variant) => (variant with { Arch = arch }).Uses(property);
        var architectures = family.Architectures.Where(arch => variants.Any(variant => Uses(arch, variant))).ToList();
        var values = choice?.Alternatives.Where(alternative => family.Architectures.Any(arch => Uses(arch, alternative.Options))).Select(alternative => alternative.Value).ToList() ?? [];
        var marks = new List<string>();
        if (architectures.Count < family.Architectures.Count) marks.Add(string.Join(", ", architectures.Select(arch => OptionNames.Kebab(arch))));
        if (choice is not null && values.Count < choice.Alternatives.Count) marks.Add($"--{choice.Option} {string.Join(", ", values)}");
        if (architectures.Count == 0 && defaults.UsedWhen(property) is { } condition) return (true, condition);
        return (architectures.Count > 0, marks.Count == 0 ? "" : string.Join("; ", marks) + " only");
    };

    /// <summary>The data options, each marked with the sources it applies to when not all.</summary>
    internal static string DataHelp()
    {
        string[] sources = ["shapes", "fashion-mnist", "idx:DIR", "images:DIR", "csv:FILE", "text:FILE"];
        return OptionBinder.Help(typeof(DataOptions), new DataOptions(), property =>
        {
            var using_ = sources.Where(source => new DataOptions { Data = source }.Uses(property)).ToList();
            return (true, using_.Count == sources.Length ? "" : string.Join(", ", using_) + " only");
        });
    }

    protected override string OptionsHelp(Arguments arguments)
    {
        var families = arguments.Value("model") is string name ? [ModelCatalog.Find(name)] : ModelCatalog.Families;
        var sections = families.Select(family =>
            $"\nmodel options for --model {family.Name} ({family.Summary}):\n{OptionBinder.Help(family.OptionsType, family.DefaultOptions(), ModelHelp(family))}");
        return $"\n  --model {"FAMILY",-15} one of: {string.Join(", ", ModelCatalog.Families.Select(f => f.Name))} [default: ae]" +
               $"\n  --out {"DIR",-17} run directory to create [default: runs/FAMILY]" +
               $"\n  --resume {"",-14} continue the run in --out from its last checkpoint" +
               $"\n\ndata options:\n{DataHelp()}" +
               $"\n\ntraining options{(families.Count == 1 ? $" for --model {families[0].Name}" : "")}:\n{OptionBinder.Help(typeof(TrainingOptions), families.Count == 1 ? families[0].DefaultTraining : new TrainingOptions())}" +
               string.Concat(sections);
    }
}
