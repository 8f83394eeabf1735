using Latent.Data;

namespace Latent.Tests.Data;

/// <summary>--classes: which labels a run keeps for training and validation, and the inputs it refuses.</summary>
public sealed class ClassSelectionTests
{
    static readonly string[] Names = ["square", "ellipse", "heart", "triangle"];

    [Fact]
    public void Classes_are_named_by_id_or_by_label_name_in_any_case_and_come_back_sorted()
    {
        Assert.Equal([0, 3], ClassSelection.Resolve("3,0", 4, Names, "shapes"));
        Assert.Equal([1, 2], ClassSelection.Resolve("Heart, ellipse", 4, Names, "shapes"));
        Assert.Equal([2], ClassSelection.Resolve("2", 4, null, "idx:x"));
    }

    [Theory]
    [InlineData("4", "'4' is not a label of shapes, which has labels 0 to 3 (square, ellipse, heart, triangle)")]
    [InlineData("circle", "'circle' is not a label of shapes")]
    [InlineData("-1", "'-1' is not a label")]
    [InlineData("0,,1", "has an empty entry")]
    [InlineData("heart,HEART", "names 'heart' twice")]
    [InlineData("2,heart", "names label 2 twice")]
    public void Unknown_empty_and_repeated_labels_are_one_line_errors(string classes, string expected)
    {
        var error = Assert.Throws<UserInputException>(() => ClassSelection.Resolve(classes, 4, Names, "shapes"));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Training_and_validation_keep_only_the_classes_and_the_test_split_keeps_every_label()
    {
        var all = DataCatalog.Load(new DataOptions { Data = "shapes" }, seed: 1);
        var kept = DataCatalog.Load(new DataOptions { Data = "shapes", Classes = "ellipse,3" }, seed: 1);
        Assert.All(kept.Train.Labels!, label => Assert.Contains(label, new[] { 1, 3 }));
        Assert.All(kept.Validation.Labels!, label => Assert.Contains(label, new[] { 1, 3 }));
        int expected = all.Train.Labels!.Concat(all.Validation.Labels!).Count(label => label is 1 or 3);
        Assert.Equal(expected, kept.Train.Count + kept.Validation.Count);
        Assert.True(kept.Validation.Count > 0);
        Assert.True(kept.Test.Features.SameAs(all.Test.Features));
        Assert.Equal(4, kept.Test.Labels!.Distinct().Count());
    }

    [Fact]
    public void Limit_counts_the_examples_of_the_kept_classes()
    {
        var splits = DataCatalog.Load(new DataOptions { Data = "shapes", Classes = "0", Limit = 200, ValidationFraction = 0.25 }, seed: 1);
        Assert.Equal(150, splits.Train.Count);
        Assert.Equal(50, splits.Validation.Count);
        Assert.All(splits.Train.Labels!, label => Assert.Equal(0, label));
    }

    [Fact]
    public void Classes_apply_to_labelled_sources_only()
    {
        Assert.True(new DataOptions { Data = "shapes" }.Uses(nameof(DataOptions.Classes)));
        Assert.True(new DataOptions { Data = "fashion-mnist" }.Uses(nameof(DataOptions.Classes)));
        Assert.True(new DataOptions { Data = "csv:t.csv", LabelColumn = "y" }.Uses(nameof(DataOptions.Classes)));
        Assert.False(new DataOptions { Data = "csv:t.csv" }.Uses(nameof(DataOptions.Classes)));
        Assert.False(new DataOptions { Data = "text:t.txt" }.Uses(nameof(DataOptions.Classes)));
    }

    [Fact]
    public void Classes_that_keep_no_training_data_are_refused()
    {
        using var folder = new TempDirectory();
        var path = folder.File("table.csv");
        string[] Rows(int special) => ["a,b,y", .. Enumerable.Range(0, 100).Select(i => $"{i},{i * 2},{(i == special ? 2 : i % 2)}")];
        // The test split is carved by position with a fixed seed: give label 2 to one row that it takes.
        File.WriteAllLines(path, Rows(-1));
        int testRow = (int)DataCatalog.LoadTest(new DataOptions { Data = "csv:" + path, LabelColumn = "y" }).Features[0, 0].item<float>();
        File.WriteAllLines(path, Rows(testRow));
        var options = new DataOptions { Data = "csv:" + path, LabelColumn = "y", Classes = "2" };
        Assert.Contains(2, DataCatalog.LoadTest(options).Labels!);
        var error = Assert.Throws<UserInputException>(() => DataCatalog.Load(options, seed: 1));
        Assert.Contains("Classes 2 keeps no training examples", error.Message);
    }
}
