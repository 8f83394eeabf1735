using Latent.Nn;
using Latent.Families;
using Latent.Data;
using Latent.Models;
using Latent.Runs;
using Latent.Tests.Models;
using Latent.Tests.Nn;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Tests.Runs;

/// <summary>
/// Every family's model.safetensors + manifest.json rebuilt in PyTorch (tests/python/interop.py, Debian's
/// python3-torch and numpy only) gives Latent's outputs within 1e-5, and weights PyTorch writes in the
/// same layout load into Latent and give PyTorch's outputs.
/// </summary>
public sealed class PyTorchInteropTests
{
    const string Python = "/usr/bin/python3";
    const double Tolerance = 1e-5;
    static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../python/interop.py"));
    static readonly Lazy<bool> TorchInstalled = new(() => Run(["-c", "import torch, numpy"]).ExitCode == 0);

    static (int ExitCode, string Output) Run(IEnumerable<string> args)
    {
        if (!File.Exists(Python)) return (-1, "no python3");
        return Repository.Start(Python, Directory.GetCurrentDirectory(), [.. args]);
    }

    static Dictionary<string, Tensor> Outputs(Autoencoder model, Tensor x)
    {
        using var noGrad = no_grad();
        return new() { ["encode"] = model.Encode(x), ["reconstruct"] = model.Reconstruct(x) };
    }

    [SkippableTheory]
    [MemberData(nameof(ModelContractTests.Cases), MemberType = typeof(ModelContractTests))]
    public void A_model_round_trips_through_PyTorch(string name, Architecture architecture)
    {
        Skip.IfNot(TorchInstalled.Value, "Debian's python3-torch is not installed (apt-get install python3-torch)");
        var data = TestData.Shapes();
        using var model = ModelContractTests.Build(name, architecture, data.Shape);
        if (model is IClosedForm closedForm) closedForm.Fit(data.Train);
        RoundTrip(model, data.Test.Features.narrow(0, 0, 8));
    }

    /// <summary>Conv models of images whose sides are not multiples of 2^stages: PyTorch pads and crops as Latent does.</summary>
    [SkippableTheory]
    [MemberData(nameof(ConvPaddingTests.Sizes), MemberType = typeof(ConvPaddingTests))]
    public void A_conv_model_of_padded_images_round_trips_through_PyTorch(string name, int side, bool colour, int stages)
    {
        Skip.IfNot(TorchInstalled.Value, "Debian's python3-torch is not installed (apt-get install python3-torch)");
        var spec = new Latent.Data.Sources.ShapesSpec(side, colour);
        var family = ModelCatalog.Find(name);
        var options = family.DefaultOptions() with { Arch = Architecture.Conv, LatentDim = 8, Channels = ConvPaddingTests.SmallChannels(stages) };
        manual_seed(3);
        using var model = family.Create(options, spec.Shape);
        RoundTrip(model, Latent.Data.Sources.ShapesSource.Generate(spec, 8, seed: 6).Features);
    }

    /// <summary>The denoising autoencoder's networks for table rows (standardizer) and tokens (token MLPs, token transformer), which shapes do not reach.</summary>
    [SkippableTheory]
    [InlineData(DataKind.Table, Architecture.Mlp)]
    [InlineData(DataKind.Tokens, Architecture.Mlp)]
    [InlineData(DataKind.Tokens, Architecture.Transformer)]
    public void A_denoising_model_of_tables_and_tokens_round_trips_through_PyTorch(DataKind kind, Architecture architecture)
    {
        Skip.IfNot(TorchInstalled.Value, "Debian's python3-torch is not installed (apt-get install python3-torch)");
        manual_seed(5);
        var (shape, x) = kind == DataKind.Table
            ? (DataShape.Table(5), randn(8, 5) * 3 + 1)
            : (DataShape.Tokens(16, 30), randint(Vocabulary.Reserved, 30, [8, 16]));
        using var model = ModelContractTests.Build("dae", architecture, shape);
        if (kind == DataKind.Table)
        {
            // One training batch gives the standardizer running figures other than its initial 0 and 1.
            model.train();
            using var noGrad = no_grad();
            model.Loss(x, LossContext.Training(new TrainingPosition(0, 0, 1), 0));
        }
        RoundTrip(model, x);
    }

    /// <summary>The VQ-VAE with every quantizer (tests/python/interop.py's block of the other quantizers).</summary>
    [SkippableTheory]
    [MemberData(nameof(Models.VectorQuantized.QuantizerSeamTests.Quantizers), MemberType = typeof(Models.VectorQuantized.QuantizerSeamTests))]
    [MemberData(nameof(Models.VectorQuantized.QuantizerSeamTests.MoreQuantizers), MemberType = typeof(Models.VectorQuantized.QuantizerSeamTests))]
    public void A_vq_vae_with_any_quantizer_round_trips_through_PyTorch(string quantizer)
    {
        Skip.IfNot(TorchInstalled.Value, "Debian's python3-torch is not installed (apt-get install python3-torch)");
        var data = TestData.Shapes();
        using var model = Models.VectorQuantized.QuantizerSeamTests.Build(Models.VectorQuantized.QuantizerSeamTests.OptionsOf(quantizer), data.Shape);
        RoundTrip(model, data.Test.Features.narrow(0, 0, 8));
    }

    static void RoundTrip(Autoencoder model, Tensor x)
    {
        var (name, architecture) = (ModelCatalog.Of(model.Options).Name, model.Options.Arch);
        using var folder = new TempDirectory();
        var run = RunDirectory.New(folder.File("run"));
        model.eval();
        run.WriteManifest(new Manifest
        {
            Family = name, Model = model.Options, Data = new DataOptions(), Shape = model.Shape, Training = new TrainingOptions(),
            Versions = Versions.Current, Created = DateTimeOffset.UnixEpoch,
        });
        run.SaveModel(model);
        SafeTensors.Save(run.File("interop.safetensors"), Outputs(model, x).Select(p => (p.Key, p.Value)).Append(("input", x)));

        var (exitCode, output) = Run([Script, run.Path]);
        Assert.True(exitCode == 0, $"interop.py failed for {name}/{architecture} on {model.Shape}:\n{output}");

        var (pytorchWeights, _) = SafeTensors.Load(run.File("pytorch.safetensors"));
        ModuleWeights.Load(model, pytorchWeights, "pytorch.safetensors");
        var (expected, _) = SafeTensors.Load(run.File("pytorch_outputs.safetensors"));
        foreach (var (key, actual) in Outputs(model, x))
        {
            // Float64 so that token ids (int64) compare too.
            double difference = (actual - expected[key]).abs().max().to(ScalarType.Float64).item<double>();
            double scale = Math.Max(1, expected[key].abs().max().to(ScalarType.Float64).item<double>()); // float32 sums of many terms: relative beyond 1
            Assert.True(difference <= Tolerance * scale, $"pytorch → latent {name}/{architecture} on {model.Shape} {key}: max |difference| {difference:E2} (outputs up to {scale:G3})");
        }
    }
}
