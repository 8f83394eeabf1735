using Latent.Data;
using Latent.Data.Sources;

namespace Latent.Tests.Data;

public sealed class CsvSourceTests
{
    [Fact]
    public void Reads_a_header_features_and_a_text_label_column()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "a,b,kind\n1,2,cat\n3.5,-4e-1,dog\n\n5,6,cat\n");
        var data = CsvSource.Load(folder.File("t.csv"), labelColumn: "kind");
        Assert.Equal(DataShape.Table(2), data.Shape);
        Assert.Equal(new[] { 1f, 2f, 3.5f, -0.4f, 5f, 6f }, data.Features.data<float>().ToArray());
        Assert.Equal(new[] { 0, 1, 0 }, data.Labels);
        Assert.Equal(new[] { "cat", "dog" }, data.LabelNames);
    }

    [Fact]
    public void Reads_a_table_without_header_and_a_label_column_by_index()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "1,2,0\n3,4,2\n");
        var data = CsvSource.Load(folder.File("t.csv"), labelColumn: "2");
        Assert.Equal(new long[] { 2, 2 }, data.Features.shape);
        Assert.Equal(new[] { 0, 2 }, data.Labels);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("inf")]
    [InlineData("")]
    [InlineData("abc")]
    public void A_cell_that_is_not_a_finite_number_names_its_line_and_column(string cell)
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), $"x,y\n1,2\n3,{cell}\n");
        var error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("t.csv"), null));
        Assert.Contains("line 3", error.Message);
        Assert.Contains("column 'y'", error.Message);
    }

    [Fact]
    public void Ragged_rows_and_unknown_label_columns_are_errors()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("ragged.csv"), "1,2\n3\n");
        Assert.Contains("same width", Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("ragged.csv"), null)).Message);
        File.WriteAllText(folder.File("ok.csv"), "a,b\n1,2\n");
        Assert.Contains("no column 'c'", Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("ok.csv"), "c")).Message);
    }
}
