using System.Text.Json;
using Latent.Families;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Runs;

/// <summary>
/// Every key a run writes (metrics.jsonl, eval.json, fit.json) is declared once, with a meaning, next to the code
/// that emits it (<see cref="MetricKey"/>): each family and architecture of the catalogue, and the variants that
/// write keys of their own, is trained briefly on shapes, evaluated, and its files read key by key.
/// </summary>
public sealed class KeyContractTests
{
    static readonly Dictionary<string, string[]> Variants = new()
    {
        ["vae/total-correlation"] = ["--model", "vae", "--regulariser", "total-correlation"],
        ["vae/vamp-iwae"] = ["--model", "vae", "--prior", "vamp", "--pseudo-inputs", "8", "--train-samples", "2"],
        ["vae/condition-label"] = ["--model", "vae", "--condition", "label"],
        ["vae/binarize-dynamic"] = ["--model", "vae", "--binarize", "dynamic"],
        ["vae/discretized-logistic"] = ["--model", "vae", "--arch", "conv", "--likelihood", "discretized-logistic"],
        ["vqvae/fsq"] = ["--model", "vqvae", "--quantizer", "fsq"],
        ["vqvae/rvq"] = ["--model", "vqvae", "--quantizer", "rvq"],
    };

    /// <summary>The command line of a run: its family and architecture, or a variant's options.</summary>
    static string[] Model(string run)
    {
        if (Variants.TryGetValue(run, out var variant)) return variant;
        var (family, architecture) = (run.Split('/')[0], run.Split('/')[1]);
        return ModelCatalog.Find(family).Architectures.Count > 1 ? ["--model", family, "--arch", architecture] : ["--model", family];
    }

    public static TheoryData<string> Runs()
    {
        var runs = new TheoryData<string>();
        foreach (var family in ModelCatalog.Families.Where(family => !family.ClosedForm))
            foreach (var architecture in family.Architectures)
                runs.Add($"{family.Name}/{OptionNames.Kebab(architecture)}");
        foreach (var variant in Variants.Keys) runs.Add(variant);
        runs.Add("pca/fit");   // the closed-form family is fitted by latent pca, which writes fit.json
        return runs;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void A_run_writes_only_declared_keys(string run)
    {
        using var temp = new TempDirectory();
        var folder = temp.File("run");
        string[] train = [.. Model(run), "--data", "shapes", "--examples", "400", "--limit", "256", "--epochs", "1", "--batch-size", "64", "--out", folder];
        var trained = run == "pca/fit"
            ? Run("pca", "--data", "shapes", "--examples", "400", "--components", "8", "--out", folder)
            : Run(["train", .. train]);
        Assert.True(trained.Code == 0, trained.Error);
        var evaluated = Run("eval", "--run", folder);
        Assert.True(evaluated.Code == 0, evaluated.Error);

        var written = new List<(string File, string Key)>();
        foreach (var line in File.Exists(Path.Combine(folder, "metrics.jsonl")) ? File.ReadLines(Path.Combine(folder, "metrics.jsonl")) : [])
            written.AddRange(Keys(line).Select(key => ("metrics.jsonl", key)));
        foreach (var file in new[] { "eval.json", "fit.json" }.Where(name => File.Exists(Path.Combine(folder, name))))
            written.AddRange(Keys(File.ReadAllText(Path.Combine(folder, file))).Select(key => (file, key)));

        Assert.NotEmpty(written);
        var undeclared = written.Where(entry => MetricKeys.Find(entry.Key) is null && !Bookkeeping.Contains(entry.Key)).Distinct().ToList();
        Assert.True(undeclared.Count == 0, $"{run} writes keys no MetricKey declares: " + string.Join(", ", undeclared.Select(entry => $"{entry.File}: {entry.Key}")));
    }

    /// <summary>Fields of a metrics.jsonl record that are positions, not figures.</summary>
    static readonly HashSet<string> Bookkeeping = ["epoch", "step"];

    static IEnumerable<string> Keys(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().Select(property => property.Name).ToList();
    }
}
