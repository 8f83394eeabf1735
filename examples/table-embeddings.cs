// Embeddings of a CSV table for a downstream model: a 2-D autoencoder code of every row, written as a CSV,
// then used by the simplest downstream model there is (nearest class centroid), against the raw columns.
// Run: dotnet run table-embeddings.cs [FILE.csv LABEL-COLUMN]   (without arguments it writes a demo table first)
#:package Latent@0.1.0
#:package libtorch-cpu-linux-x64@2.10.0
using Latent;
using Latent.Data;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Runs;
using Latent.Training;
using Latent.Workflows;
using static TorchSharp.torch;

NativeRuntime.Configure();
var work = Path.Combine(Path.GetTempPath(), "latent-table-example");
if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
Directory.CreateDirectory(work);
var (csv, labelColumn) = args.Length == 2 ? (args[0], args[1]) : (DemoTable(Path.Combine(work, "table.csv")), "class");

// Train a plain autoencoder with a 2-D code on the table (its columns are standardised inside the model).
TrainingRun.Start(new TrainRequest(new PlainOptions { LatentDim = 2, Hidden = [64] },
    new DataOptions { Data = $"csv:{csv}", LabelColumn = labelColumn }, new TrainingOptions { Epochs = 40, BatchSize = 32 },
    Path.Combine(work, "run")), new TrainingCallbacks());

var run = RunDirectory.Open(Path.Combine(work, "run"));
using var model = run.LoadModel();
var (train, test) = (run.LoadSplit(DataSplit.Train), run.LoadSplit(DataSplit.Test));
using var trainCodes = Batched.Encode(model, train);
using var testCodes = Batched.Encode(model, test);
LatentCsv.Write(Path.Combine(work, "embeddings.csv"), testCodes, test.Labels);
Console.WriteLine($"{test.Count} test rows → codes {string.Join("×", testCodes.shape)}, written to {Path.Combine(work, "embeddings.csv")}");
Console.WriteLine($"nearest-centroid accuracy: {Accuracy(trainCodes, train.Labels!, testCodes, test.Labels!):P1} on the 2-D codes, " +
                  $"{Accuracy(train.Features, train.Labels!, test.Features, test.Labels!):P1} on the raw columns");

static double Accuracy(Tensor trainX, int[] trainY, Tensor testX, int[] testY)
{
    using var scope = NewDisposeScope();
    var (mean, spread) = (trainX.mean([0]), trainX.std(0).clamp_min(1e-6));
    var (a, b) = ((trainX - mean) / spread, (testX - mean) / spread);
    var labels = tensor(trainY.Select(y => (long)y).ToArray());
    int classes = trainY.Max() + 1;
    var centroids = stack(Enumerable.Range(0, classes).Select(c => a[labels.eq(c)].mean([0])).ToArray());  // [classes, F]
    var predicted = cdist(b, centroids).argmin(1).data<long>().ToArray();
    return predicted.Zip(testY).Count(pair => pair.First == pair.Second) / (double)testY.Length;
}

// Three classes in 8 columns on scales from 0.01 to 1000, the class one nonlinear function of two hidden factors.
static string DemoTable(string path)
{
    var random = new Random(7);
    var lines = new List<string> { string.Join(",", Enumerable.Range(0, 8).Select(i => $"x{i}").Append("class")) };
    for (int row = 0; row < 900; row++)
    {
        int label = row % 3;
        double u = label + 0.3 * random.NextDouble(), v = random.NextDouble();
        var values = Enumerable.Range(0, 8).Select(i => Math.Pow(10, i % 6 - 2) * (Math.Sin(u * (i + 1)) + v * (i % 3) + 0.05 * random.NextDouble()));
        lines.Add(string.Join(",", values.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(label.ToString())));
    }
    File.WriteAllLines(path, lines);
    return path;
}
