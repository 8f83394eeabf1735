using Latent.Data;

namespace Latent.Tests.Data;

public sealed class DataCatalogTests
{
    static string WriteTable(TempDirectory folder, int rows)
    {
        var path = folder.File("table.csv");
        File.WriteAllLines(path, Enumerable.Range(0, rows).Select(i => $"{i},{i * 2},{i % 3}"));
        return path;
    }

    [Fact]
    public void Splits_are_disjoint_and_cover_the_data()
    {
        using var folder = new TempDirectory();
        var splits = DataCatalog.Load(new DataOptions { Data = "csv:" + WriteTable(folder, 200), ValidationFraction = 0.2 }, seed: 4);
        var ids = new[] { splits.Train, splits.Validation, splits.Test }.Select(d => d.Features[.., 0].data<float>().ToArray()).ToArray();
        Assert.Equal(20, ids[2].Length);
        Assert.Equal(36, ids[1].Length);
        Assert.Equal(200, ids.SelectMany(x => x).Distinct().Count());
    }

    [Fact]
    public void The_seed_moves_validation_but_never_the_test_split()
    {
        using var folder = new TempDirectory();
        var options = new DataOptions { Data = "csv:" + WriteTable(folder, 100) };
        var one = DataCatalog.Load(options, seed: 1);
        var two = DataCatalog.Load(options, seed: 2);
        Assert.True(one.Test.Features.SameAs(two.Test.Features));
        Assert.False(one.Validation.Features.SameAs(two.Validation.Features));
        Assert.True(DataCatalog.Load(options, seed: 1).Validation.Features.SameAs(one.Validation.Features));
    }

    [Theory]
    [InlineData("nonsense", "unknown data source")]
    [InlineData("csv:", "names no path")]
    [InlineData("csv:/no/such.csv", "does not exist")]
    [InlineData("images:/no/such/folder", "does not exist")]
    public void Bad_specs_are_one_line_errors(string spec, string expected)
    {
        var error = Assert.Throws<UserInputException>(() => DataCatalog.Load(new DataOptions { Data = spec }, seed: 1));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Limit_caps_the_training_examples()
    {
        var splits = DataCatalog.Load(new DataOptions { Data = "shapes", Limit = 500, ValidationFraction = 0.2 }, seed: 1);
        Assert.Equal(400, splits.Train.Count);
        Assert.Equal(100, splits.Validation.Count);
    }
    [Fact]
    public void The_validation_limit_caps_the_held_out_examples_and_zero_lifts_the_cap()
    {
        using var folder = new TempDirectory();
        var table = "csv:" + WriteTable(folder, 200);
        var capped = DataCatalog.Load(new DataOptions { Data = table, ValidationFraction = 0.2, ValidationLimit = 10 }, seed: 4);
        var uncapped = DataCatalog.Load(new DataOptions { Data = table, ValidationFraction = 0.2, ValidationLimit = 0 }, seed: 4);
        Assert.Equal(10, capped.Validation.Count);
        Assert.Equal(170, capped.Train.Count);
        Assert.Equal(36, uncapped.Validation.Count);
        // The cap takes fewer of the same seeded permutation: the capped validation is part of the uncapped one.
        var ids = (Dataset split) => split.Features[.., 0].data<float>().ToArray();
        Assert.Subset(ids(uncapped.Validation).ToHashSet(), ids(capped.Validation).ToHashSet());
    }

    [Fact]
    public void A_manifest_written_before_the_validation_limit_keeps_its_whole_validation_fraction()
    {
        var manifest = new Latent.Runs.Manifest
        {
            Family = "ae", Model = new Latent.Models.Plain.PlainOptions(), Data = new DataOptions { Data = "shapes" },
            Shape = DataShape.Image(1, 28, 28), Versions = Latent.Runs.Versions.Current, Created = DateTimeOffset.UnixEpoch,
        };
        var json = manifest.ToJson();
        Assert.Equal(DataOptions.DefaultValidationLimit, Latent.Runs.Manifest.FromJson(json, "manifest.json").Data.ValidationLimit);
        var older = System.Text.RegularExpressions.Regex.Replace(json, @"""validation_limit"":\s*\d+,?", "");
        Assert.DoesNotContain("validation_limit", older);
        Assert.Equal(0, Latent.Runs.Manifest.FromJson(older, "manifest.json").Data.ValidationLimit);
    }
}
