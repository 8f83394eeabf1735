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

    [Fact]
    public void Quoted_fields_may_hold_commas_quotes_and_line_breaks()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "x,\"y, in mm\",name\n1,\"2.5\",\"Smith, J.\"\n3,4,\"say \"\"hi\"\"\"\n5,6,\"two\nlines\"\n");
        var data = CsvSource.Load(folder.File("t.csv"), labelColumn: "name");
        Assert.Equal(new[] { 1f, 2.5f, 3f, 4f, 5f, 6f }, data.Features.data<float>().ToArray());
        Assert.Equal(new[] { "Smith, J.", "say \"hi\"", "two\nlines" }.Order(StringComparer.Ordinal), data.LabelNames);
        Assert.Equal(3, data.Labels!.Distinct().Count());
        // The header name with a comma in it names one column.
        File.WriteAllText(folder.File("u.csv"), "x,\"y, in mm\"\n1,0\n2,1\n");
        Assert.Equal(new[] { 0, 1 }, CsvSource.Load(folder.File("u.csv"), labelColumn: "y, in mm").Labels);
    }

    [Fact]
    public void Crlf_a_byte_order_mark_and_blank_trailing_lines_are_read()
    {
        using var folder = new TempDirectory();
        File.WriteAllBytes(folder.File("t.csv"), [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes("a,b\r\n1,2\r\n\r\n3,4\r\n\r\n\r\n")]);
        var data = CsvSource.Load(folder.File("t.csv"), labelColumn: "a");
        Assert.Equal(new[] { 2f, 4f }, data.Features.data<float>().ToArray());
        Assert.Equal(new[] { 1, 3 }, data.Labels);
    }

    [Fact]
    public void A_file_without_header_and_with_a_text_label_column_keeps_its_first_row()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "1,2,cat\n3,4,dog\n5,6,cat\n");
        var data = CsvSource.Load(folder.File("t.csv"), labelColumn: "2");
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, data.Features.data<float>().ToArray());
        Assert.Equal(new[] { 0, 1, 0 }, data.Labels);
        Assert.Equal(new[] { "cat", "dog" }, data.LabelNames);
        var error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("t.csv"), labelColumn: "kind"));
        Assert.Contains("has no header row", error.Message);
        Assert.Contains("Header yes", error.Message);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4\n", CsvHeader.Auto, null, 2)]     // text above numbers: a header
    [InlineData("1,2\n3,4\n", CsvHeader.Auto, null, 2)]           // numbers: data
    [InlineData("1,2,x\n3,4,y\n", CsvHeader.Auto, "2", 2)]        // a column of text throughout: data
    [InlineData("1,b,x\n3,4,y\n", CsvHeader.Auto, "2", 1)]        // 'b' above numbers: a header
    [InlineData("x,y\n1,dog\n2,cat\n", CsvHeader.Auto, "y", 2)]  // no number in the first row: a header
    [InlineData("1,2\n3,4\n", CsvHeader.Yes, null, 1)]
    [InlineData("1,2,x\n3,4,y\n", CsvHeader.No, "2", 2)]
    public void The_header_is_detected_by_a_stated_rule_and_can_be_overridden(string text, CsvHeader header, string? label, int rows)
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), text);
        Assert.Equal(rows, CsvSource.Load(folder.File("t.csv"), label, header).Count);
    }

    [Fact]
    public void A_first_row_without_numbers_is_a_header_even_when_a_column_has_a_missing_value()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "x,y\n1,dog\n,cat\n");
        var error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("t.csv"), "y"));
        Assert.Contains("line 3, column 'x': '' is not a finite number", error.Message);
    }

    [Fact]
    public void Header_no_reads_a_text_first_row_as_data_and_names_it()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "a,b\n1,2\n");
        var error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("t.csv"), null, CsvHeader.No));
        Assert.Contains("line 1, column '0': 'a' is not a finite number", error.Message);
        // --header reaches the reader from the data options.
        File.WriteAllText(folder.File("n.csv"), string.Concat(Enumerable.Range(0, 20).Select(i => $"{i},{i + 1}\n")));
        var options = new DataOptions { Data = "csv:" + folder.File("n.csv"), ValidationFraction = 0 };
        int Rows(DataOptions o) => DataCatalog.Load(o, seed: 1).Train.Count + DataCatalog.LoadTest(o).Count;
        Assert.Equal(20, Rows(options));
        Assert.Equal(19, Rows(options with { Header = CsvHeader.Yes }));
        Assert.Contains("Header does not apply to Data shapes", Assert.Throws<UserInputException>(() => new DataOptions { Header = CsvHeader.No }.Validate()).Message);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_names_its_line_counting_quoted_line_breaks()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("t.csv"), "a,note,b\n1,\"two\nlines\",2\n\n3,x,4,5\n");
        var error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("t.csv"), "note"));
        Assert.Contains("line 5 has 4 fields where the first row has 3", error.Message);
        File.WriteAllText(folder.File("u.csv"), "a,b\r\n1,\"multi\r\nline\"\r\n3,oops\r\n");
        error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("u.csv"), null));
        Assert.Contains("line 2, column 'b': 'multi line' is not a finite number", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void An_unclosed_quote_and_a_file_that_is_not_utf8_are_one_line_errors()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("q.csv"), "a,b\n1,\"2\n3,4\n");
        var error = Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("q.csv"), null));
        Assert.Contains("line 2", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        File.WriteAllBytes(folder.File("l.csv"), [(byte)'a', (byte)',', 0xE9, (byte)'\n', (byte)'1', (byte)',', (byte)'2', (byte)'\n']);
        Assert.Contains("is not UTF-8", Assert.Throws<UserInputException>(() => CsvSource.Load(folder.File("l.csv"), null)).Message);
    }
}
