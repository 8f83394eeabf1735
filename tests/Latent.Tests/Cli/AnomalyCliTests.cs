using System.Globalization;
using System.Text.Json;
using Latent.Evaluation;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>One run trained on one label of the shapes (--classes 0), shared by the tests that read it.</summary>
public sealed class OneClassRun : IDisposable
{
    readonly TempDirectory _folder = new();

    public OneClassRun()
    {
        Path = _folder.File("run");
        var train = Run("train", "--model", "ae", "--data", "shapes", "--classes", "square", "--limit", "300", "--epochs", "2", "--hidden", "32",
                        "--latent-dim", "4", "--out", Path, "--quiet");
        Assert.Equal(0, train.Code);
    }

    /// <summary>The run directory.</summary>
    public string Path { get; }

    public void Dispose() => _folder.Dispose();
}

/// <summary>--classes, latent eval --anomaly and latent score as a user meets them, good input and bad.</summary>
public sealed class AnomalyCliTests(OneClassRun run) : IClassFixture<OneClassRun>
{
    [Theory]
    [InlineData("'circle' is not a label of shapes", "shapes", "circle")]
    [InlineData("'7' is not a label of shapes, which has labels 0 to 3", "shapes", "0,7")]
    [InlineData("has an empty entry", "shapes", "0,")]
    [InlineData("names '1' twice", "shapes", "1,1")]
    [InlineData("--classes does not apply to --data text:", "text", "0")]
    public void Bad_classes_are_refused_by_train_and_pca_with_exit_code_2_and_nothing_written(string expected, string source, string classes)
    {
        using var folder = new TempDirectory();
        var data = source;
        if (source == "text")
        {
            data = "text:" + folder.File("corpus.txt");
            File.WriteAllText(folder.File("corpus.txt"), string.Concat(Enumerable.Repeat("some words of text. ", 200)));
        }
        AssertUsageError(Run("train", "--model", "ae", "--epochs", "1", "--data", data, "--classes", classes, "--out", folder.File("run")), expected);
        Assert.False(Directory.Exists(folder.File("run")));
        AssertUsageError(Run("pca", "--components", "2", "--data", data, "--classes", classes, "--out", folder.File("pca")), expected);
        Assert.False(Directory.Exists(folder.File("pca")));
    }

    [Fact]
    public void Eval_anomaly_writes_declared_auroc_auprc_and_detection_figures_and_the_figures()
    {
        var result = Run("eval", "--run", run.Path, "--anomaly", "--fpr", "0.05");
        Assert.Equal(0, result.Code);
        var figures = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(System.IO.Path.Combine(run.Path, "eval.json")))!;
        Assert.InRange(figures["anomaly_auroc"], 0, 1);
        Assert.InRange(figures["anomaly_auprc"], 0, 1);
        Assert.InRange(figures["anomaly_detection_rate"], 0, 1);
        Assert.Equal(0.05, figures["anomaly_fpr"]);
        Assert.True(figures["anomaly_normal_examples"] > 0 && figures["anomaly_anomalous_examples"] > figures["anomaly_normal_examples"]);
        foreach (var key in figures.Keys.Where(key => key.StartsWith("anomaly_", StringComparison.Ordinal)))
            Assert.NotEqual("", Latent.MetricKeys.Describe(key));
        foreach (var file in new[] { "anomaly-roc.png", "anomaly-histogram-recon_mse.png", "anomaly-worst-recon_mse.png" })
            Assert.True(new FileInfo(System.IO.Path.Combine(run.Path, file)).Length > 1000, file);
        Assert.Equal(0, Run("report", "--run", run.Path).Code);
        Assert.Contains("ROC curves of the anomaly scores", File.ReadAllText(System.IO.Path.Combine(run.Path, "report.html")));
    }

    [Fact]
    public void Score_writes_index_label_and_score_columns_whose_auroc_is_eval_anomaly_s()
    {
        using var folder = new TempDirectory();
        var csv = folder.File("scores.csv");
        var result = Run("score", "--run", run.Path, "--out", csv);
        Assert.Equal(0, result.Code);
        Assert.Contains("recon_mse", result.Output);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("index,label,recon_mse,anomalous_recon_mse", lines[0]);
        var rows = lines.Skip(1).Select(line => line.Split(',')).ToArray();
        var test = Latent.Data.DataCatalog.LoadTest(new Latent.Data.DataOptions { Data = "shapes" });
        Assert.Equal(test.Count, rows.Length);
        Assert.Equal(Enumerable.Range(0, rows.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(row => row[0]));
        Assert.Equal(test.Labels!, rows.Select(row => int.Parse(row[1], CultureInfo.InvariantCulture)));
        var scores = rows.Select(row => double.Parse(row[2], CultureInfo.InvariantCulture)).ToArray();
        Assert.All(rows, row => Assert.Contains(row[3], new[] { "0", "1" }));

        var thresholds = JsonDocument.Parse(File.ReadAllText(folder.File("scores.thresholds.json"))).RootElement;
        double threshold = thresholds.GetProperty("thresholds").GetProperty("recon_mse").GetDouble();
        Assert.Equal(scores.Select(s => s > threshold ? "1" : "0"), rows.Select(row => row[3]));
        Assert.Equal("square", thresholds.GetProperty("classes").GetString());

        Assert.Equal(0, Run("eval", "--run", run.Path, "--anomaly").Code);
        var figures = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(System.IO.Path.Combine(run.Path, "eval.json")))!;
        var anomalous = test.Labels!.Select(label => label != 0).ToArray();
        Assert.Equal(figures["anomaly_auroc"], DetectionMetrics.Auroc(scores, anomalous), 12);
        Assert.Equal(figures["anomaly_threshold"], threshold, 12);
        Assert.Equal(["scores.csv", "scores.thresholds.json"], Directory.EnumerateFiles(folder.Path).Select(System.IO.Path.GetFileName).Order()); // no temporary file left
    }

    [Fact]
    public void Score_writes_into_the_run_by_default_where_the_explorer_reads_it()
    {
        Assert.Equal(0, Run("score", "--run", run.Path, "--quiet").Code);
        var path = System.IO.Path.Combine(run.Path, Latent.Explorer.AnomalyScores.FileName);
        var (scores, reason) = Latent.Explorer.AnomalyScores.Read(path, 2000);
        Assert.Null(reason);
        Assert.Equal(["recon_mse"], scores!.Columns); // the anomalous_ flags are not scores
    }

    [Fact]
    public void Bad_scoring_inputs_are_one_line_errors_that_write_nothing()
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run("score", "--run", run.Path, "--classes", "1", "--out", folder.File("s.csv")), "--classes is fixed when a run is trained ('square' here)");
        AssertUsageError(Run("score", "--run", run.Path, "--out", folder.File("s.txt")), "is not a .csv file");
        AssertUsageError(Run("score", "--run", run.Path, "--out", folder.Path), "is a folder");
        AssertUsageError(Run("score", "--run", run.Path, "--fpr", "1.5", "--out", folder.File("s.csv")), "--fpr 1.5 is out of range");
        AssertUsageError(Run("score", "--run", run.Path, "--iwae-samples", "8", "--out", folder.File("s.csv")), "drop --iwae-samples");
        File.WriteAllLines(folder.File("table.csv"), ["a,b", .. Enumerable.Range(0, 50).Select(i => $"{i},{i % 7}")]);
        AssertUsageError(Run("score", "--run", run.Path, "--data", "csv:" + folder.File("table.csv"), "--out", folder.File("s.csv")), "pass --data with data of the same shape");
        File.Delete(folder.File("table.csv"));
        AssertUsageError(Run("eval", "--run", run.Path, "--classes", "1"), "--classes is fixed");
        AssertUsageError(Run("eval", "--run", run.Path, "--fpr", "0.1"), "add --anomaly or drop --fpr");
        AssertUsageError(Run("reconstruct", "--run", run.Path, "--classes", "1", "--out", folder.File("r.png")), "--classes is fixed");
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Eval_anomaly_on_a_run_trained_on_every_label_is_refused_and_writes_nothing()
    {
        using var folder = new TempDirectory();
        var all = folder.File("all");
        Assert.Equal(0, Run("pca", "--data", "shapes", "--limit", "200", "--components", "3", "--out", all, "--quiet").Code);
        var before = Directory.EnumerateFiles(all).Order().ToArray();
        AssertUsageError(Run("eval", "--run", all, "--anomaly"), "--anomaly needs a run trained on some of the labels");
        Assert.Equal(before, Directory.EnumerateFiles(all).Order().ToArray());
    }
}
