using Latent.Nn;
using Latent.Families;
using Latent.Models;
using Latent.Runs;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

/// <summary>
/// The contract every family in the catalogue passes, for every architecture it supports: shapes,
/// a finite loss that falls on a small seeded set (for a closed-form family instead: the fit reaches
/// the Eckart–Young optimum), and weights that save and load to identical outputs.
/// </summary>
public sealed class ModelContractTests
{
    public static TheoryData<string, Architecture> Cases() => CasesWhere(_ => true);

    /// <summary>Families trained by gradient descent.</summary>
    public static TheoryData<string, Architecture> TrainedCases() => CasesWhere(family => !family.ClosedForm);

    /// <summary>Families fitted in closed form (PCA), which have no gradient steps to take.</summary>
    public static TheoryData<string, Architecture> ClosedFormCases() => CasesWhere(family => family.ClosedForm);

    static TheoryData<string, Architecture> CasesWhere(Func<ModelFamily, bool> include)
    {
        var cases = new TheoryData<string, Architecture>();
        foreach (var family in ModelCatalog.Families.Where(include))
            foreach (var architecture in family.Architectures) cases.Add(family.Name, architecture);
        return cases;
    }

    /// <summary>Small options so that every case runs in a second or two.</summary>
    internal static Autoencoder Build(string name, Architecture architecture, Latent.Data.DataShape shape, int seed = 3)
    {
        var family = ModelCatalog.Find(name);
        var options = family.DefaultOptions() with { Arch = architecture, LatentDim = 8, Hidden = [64], Channels = [8, 16] };
        options.Validate(shape);
        manual_seed(seed);
        return family.Create(options, shape);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_decode_and_reconstruct_have_the_documented_shapes(string name, Architecture architecture)
    {
        var data = TestData.Shapes();
        using var model = Build(name, architecture, data.Shape);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.Equal(ModelCatalog.Find(name).ClosedForm, model is IClosedForm);
        var x = data.Train.Features.narrow(0, 0, 5);
        var z = model.Encode(x);
        Assert.Equal(new long[] { 5, model.RepresentationSize }, z.shape);
        Assert.Equal(x.shape, model.Decode(z).shape);
        Assert.Equal(x.shape, model.Reconstruct(x).shape);
        Assert.Equal(x.shape, model.forward(x).shape);
    }

    [Theory]
    [MemberData(nameof(TrainedCases))]
    public void The_loss_is_finite_and_falls_with_training(string name, Architecture architecture)
    {
        var data = TestData.Shapes();
        using var model = Build(name, architecture, data.Shape);
        using var optimizer = new Adam(model.named_parameters());
        model.train();
        var losses = new List<double>();
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            manual_seed(step);
            var x = data.Train.Features.narrow(0, step % 4 * 64, 64);
            optimizer.ZeroGrad();
            var loss = model.Loss(x, LossContext.Training(new TrainingPosition(step / 4, step, 4), 0));
            Assert.Equal(0, loss.Total.dim());
            Assert.All(loss.Terms, term => Assert.True(float.IsFinite(term.Value.item<float>()), term.Term.Name));
            loss.Total.backward();
            optimizer.Step(2e-3);
            losses.Add(loss.Total.item<float>());
        }
        double first = losses.Take(8).Average(), last = losses.TakeLast(8).Average();
        Assert.True(last < 0.8 * first, $"loss went from {first} to {last}");
    }

    [Theory]
    [MemberData(nameof(ClosedFormCases))]
    public void A_closed_form_fit_reaches_the_Eckart_Young_optimum(string name, Architecture architecture)
    {
        var data = TestData.Shapes();
        using var model = Build(name, architecture, data.Shape);
        var fit = Assert.IsAssignableFrom<IClosedForm>(model);
        fit.Fit(data.Train);
        model.eval();

        // The best rank-K reconstruction of the centred training matrix leaves Σ_{i>K} σ_i² (Eckart–Young),
        // computed here independently from the singular values in float64.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data.Train.Features.flatten(1).to(ScalarType.Float64);
        var singular = linalg.svdvals(x - x.mean([0], keepdim: true));
        double optimum = singular.narrow(0, model.RepresentationSize, singular.shape[0] - model.RepresentationSize).square().sum().item<double>()
                         / x.NumberOfElements;
        double loss = model.Loss(data.Train.Features, LossContext.Final()).Total.item<float>();
        Assert.True(double.IsFinite(loss));
        Assert.True(Math.Abs(loss - optimum) <= 1e-4 * optimum, $"loss {loss} against the optimum {optimum}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Saved_weights_load_into_a_fresh_model_with_identical_outputs(string name, Architecture architecture)
    {
        var data = TestData.Shapes();
        using var folder = new TempDirectory();
        using var model = Build(name, architecture, data.Shape, seed: 3);
        using var other = Build(name, architecture, data.Shape, seed: 4);
        if (model is IClosedForm closedForm) closedForm.Fit(data.Train); // otherwise both would hold the same zeros
        model.eval();
        other.eval();
        var path = folder.File("model.safetensors");
        SafeTensors.Save(path, ModuleWeights.Of(model));
        var (tensors, _) = SafeTensors.Load(path);
        ModuleWeights.Load(other, tensors, path);

        using var noGrad = no_grad();
        var x = data.Test.Features.narrow(0, 0, 8);
        Assert.True(model.Reconstruct(x).SameAs(other.Reconstruct(x)));
        Assert.True(model.Encode(x).SameAs(other.Encode(x)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Options_survive_the_manifest(string name, Architecture architecture)
    {
        var data = TestData.Shapes();
        using var model = Build(name, architecture, data.Shape);
        var manifest = new Manifest
        {
            Family = name, Model = model.Options, Data = new Latent.Data.DataOptions(), Shape = data.Shape,
            Training = ModelCatalog.Find(name).ClosedForm ? null : new TrainingOptions(), Versions = Versions.Current, Created = DateTimeOffset.UnixEpoch,
        };
        var read = Manifest.FromJson(manifest.ToJson(), "manifest.json");
        Assert.Equal(manifest.ToJson(), read.ToJson());
        Assert.Equal(model.Options.GetType(), read.Model.GetType());
    }
}
