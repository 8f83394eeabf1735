using Latent.Data;
using Latent.Evaluation;
using Latent.Families;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Runs;
using Latent.Training;
using Latent.Workflows;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

/// <summary>
/// Label conditioning (the CVAE of Sohn et al. 2015): a trained run's samples of label k are nearest class k (on a table
/// whose classes a short run can learn; on shapes a few epochs draw blobs, not yet shapes), the label changes the
/// decoder's output, and a run on shapes (its four shape classes are its labels) opens again as it was.
/// </summary>
public sealed class ConditionalGenerationTests
{
    static RunDirectory TrainShapes(TempDirectory folder, ModelOptions model, int epochs = 6)
    {
        var path = folder.File("run");
        TrainingRun.Start(new TrainRequest(model, new DataOptions { Data = "shapes", Limit = 3000 },
            new TrainingOptions { Epochs = epochs, Seed = 1 }, path), new TrainingCallbacks());
        return RunDirectory.Open(path);
    }

    /// <summary>Each sample's nearest class mean among the training examples' (pixels): a classifier that shares nothing with the model.</summary>
    static int[] NearestClassMean(Dataset train, Tensor samples, int classes)
    {
        using var scope = NewDisposeScope();
        var labels = tensor(train.Labels!.Select(label => (long)label).ToArray());
        var flat = train.Features.flatten(1);
        var means = stack(Enumerable.Range(0, classes).Select(k => flat.index_select(0, (labels == k).nonzero().squeeze(1)).mean([0])).ToArray());   // [K, F]
        var distances = cdist(samples.flatten(1), means);                                                                                              // [S, K]
        return distances.argmin(1).data<long>().Select(k => (int)k).ToArray();
    }

    /// <summary>Four classes of rows of 8 features: class k is 3 on features 2k and 2k + 1, 0 elsewhere, plus N(0, 0.5²) noise.</summary>
    static string ClassTable(TempDirectory folder, int rows = 800)
    {
        var random = new Random(5);
        var lines = new List<string> { "f0,f1,f2,f3,f4,f5,f6,f7,label" };
        for (int n = 0; n < rows; n++)
        {
            int k = n % 4;
            var values = Enumerable.Range(0, 8).Select(j => (j / 2 == k ? 3.0 : 0.0) + 0.5 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            lines.Add(string.Join(",", values.Select(v => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture))) + $",{k}");
        }
        var path = folder.File("classes.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void A_conditional_vae_draws_samples_of_the_label_asked_for_far_more_often_than_chance()
    {
        using var folder = new TempDirectory();
        var path = folder.File("run");
        TrainingRun.Start(new TrainRequest(new VaeOptions { Condition = Conditioning.Label, LatentDim = 2, Hidden = [32] },
            new DataOptions { Data = $"csv:{ClassTable(folder)}", LabelColumn = "label" }, new TrainingOptions { Epochs = 30, BatchSize = 64, Seed = 1 }, path),
            new TrainingCallbacks());
        var run = RunDirectory.Open(path);
        using var model = run.LoadModel();
        var train = run.LoadSplit(DataSplit.Train);
        var noGrad = no_grad();                                 // for the draws only: the evaluator's probe below learns with gradients
        const int perLabel = 50;
        var asked = new List<int>();
        var samples = new List<Tensor>();
        for (int k = 0; k < 4; k++)
        {
            manual_seed(k);
            using var labels = full(perLabel, k, dtype: ScalarType.Int64);
            using (model.Given(labels)) samples.Add(((IGenerative)model).Sample(perLabel));
            asked.AddRange(Enumerable.Repeat(k, perLabel));
        }
        using var all = cat(samples, 0);
        int hits = NearestClassMean(train, all, 4).Zip(asked).Count(pair => pair.First == pair.Second);
        // Chance is a quarter; the conditioned decoder must do far better than that (148 of 200 with these seeds).
        Assert.True(hits > 0.5 * all.shape[0], $"{hits} of {all.shape[0]} samples are nearest the mean of the class they were drawn for");

        noGrad.Dispose();
        // The evaluator's figure (a linear probe on the raw training rows) agrees.
        var test = run.LoadSplit(DataSplit.Test);
        var figures = Evaluator.Evaluate(model, test, new EvaluationOptions { Probe = true, TrainingSplit = new Lazy<Dataset>(() => train) });
        Assert.InRange(figures[ConditionalSamples.Accuracy.Name], 0.5, 1.0);
    }

    [Fact]
    public void A_conditional_vae_on_shapes_trains_uses_the_label_in_its_decoder_and_reopens_as_it_was()
    {
        using var folder = new TempDirectory();
        var run = TrainShapes(folder, new VaeOptions { Condition = Conditioning.Label, LatentDim = 4, Hidden = [64] }, epochs: 2);
        var manifest = run.ReadManifest();
        Assert.Equal(Conditioning.Label, manifest.Model.Condition);
        Assert.Equal(4, manifest.Model.ConditionClasses);
        Assert.True(File.Exists(run.File("samples.png")));

        using var model = run.LoadModel();
        Assert.Equal(4, model.Condition!.ClassCount);
        using var noGrad = no_grad();
        // The same z decoded with two labels gives two different images.
        manual_seed(7);
        using var z = randn(16, 4);
        using var squares = zeros(16, dtype: ScalarType.Int64);
        using var hearts = full(16, 2, dtype: ScalarType.Int64);
        Tensor asSquare, asHeart;
        using (model.Given(squares)) asSquare = model.Decode(z);
        using (model.Given(hearts)) asHeart = model.Decode(z);
        Assert.True((asSquare - asHeart).abs().max().item<float>() > 1e-2, "the label does not change the decoder's output");

        // Opened again, the model gives the same outputs.
        using var again = run.LoadModel();
        var test = run.LoadSplit(DataSplit.Test).Take(32);
        using var testLabels = LabelCondition.LabelsOf(test, 0, test.Count);
        using (model.Given(testLabels))
        using (again.Given(testLabels))
            Assert.True(model.Reconstruct(test.Features).allclose(again.Reconstruct(test.Features), 0, 0));
    }

    [Fact]
    public void A_conditioned_model_refuses_to_run_without_labels_and_an_unconditioned_one_ignores_them()
    {
        var shape = DataShape.Image(1, 8, 8);
        var options = new PlainOptions { Condition = Conditioning.Label, ConditionClasses = 3, Hidden = [16], LatentDim = 2 };
        ModelCatalog.Find("ae").Validate(options, shape);
        manual_seed(0);
        using var model = new PlainAutoencoder(options, shape);
        using var x = rand(5, 1, 8, 8);
        var error = Assert.Throws<UserInputException>(() => model.Encode(x));
        Assert.Contains(nameof(ModelOptions.Condition), error.Options);
        using var outOfRange = tensor(new long[] { 0, 1, 2, 3, 0 });
        Assert.Throws<UserInputException>(() => model.Given(outOfRange));
        using var labels = tensor(new long[] { 0, 1, 2, 0, 1 });
        using (model.Given(labels)) Assert.Equal([5, 2], model.Encode(x).shape);

        using var plain = new PlainAutoencoder(new PlainOptions { Hidden = [16], LatentDim = 2 }, shape);
        Assert.Null(plain.Condition);
        using (plain.Given(labels)) Assert.Equal([5, 2], plain.Encode(x).shape);
    }

    [Fact]
    public void The_manifest_records_the_condition_and_its_classes_and_reads_them_back()
    {
        var manifest = new Manifest
        {
            Family = "vae", Model = new VaeOptions { Condition = Conditioning.Label, ConditionClasses = 10 },
            Data = new DataOptions { Data = "shapes" }, Shape = DataShape.Image(1, 32, 32), Versions = Versions.Current, Created = DateTimeOffset.UnixEpoch,
        };
        var json = manifest.ToJson();
        Assert.Contains("\"condition\": \"label\"", json);
        var read = Manifest.FromJson(json, "manifest.json");
        Assert.Equal(Conditioning.Label, read.Model.Condition);
        Assert.Equal(10, read.Model.ConditionClasses);

        var unconditional = (manifest with { Model = new VaeOptions() }).ToJson();
        Assert.DoesNotContain("condition_classes", unconditional);
        Assert.Equal(Conditioning.None, Manifest.FromJson(unconditional, "manifest.json").Model.Condition);
        // A family that cannot be conditioned records no condition at all.
        Assert.DoesNotContain("\"condition\"", (manifest with { Family = "pca", Model = new Latent.Models.Pca.PcaOptions() }).ToJson());
    }
}
