// Generating images from a trained VAE: train one on the built-in shapes (or Fashion-MNIST when Debian's
// dataset-fashion-mnist is installed), draw z ~ N(0, I), decode, and write the images as a PNG grid.
// Run: dotnet run vae-generate.cs [OUT.png]
#:package Latent@0.1.0
#:package libtorch-cpu-linux-x64@2.10.0
using Latent;
using Latent.Data;
using Latent.Models;
using Latent.Models.Variational;
using Latent.Reporting;
using Latent.Runs;
using Latent.Training;
using Latent.Workflows;
using static TorchSharp.torch;

NativeRuntime.Configure();
var folder = Path.Combine(Path.GetTempPath(), "latent-vae-example");
if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
var data = DataCatalog.FashionMnistInstalled() ? "fashion-mnist" : "shapes";

TrainingRun.Start(new TrainRequest(new VaeOptions { LatentDim = 16 }, new DataOptions { Data = data, Limit = 6000 },
    new TrainingOptions { Epochs = 3 }, folder),
    new TrainingCallbacks(epoch: e => Console.WriteLine($"epoch {e.Epoch}: validation −ELBO {e.Values["val_loss"]:F1} nats")));

using var model = RunDirectory.Open(folder).LoadModel();
var generative = model as IGenerative ?? throw new InvalidOperationException("a VAE samples from its prior");
manual_seed(42);
using var noGrad = no_grad();
using var samples = generative.Sample(64);                 // decoded z ~ N(0, I): [64, C, H, W] in [0, 1]
var output = args.Length > 0 ? args[0] : Path.Combine(folder, "generated.png");
ImageGrid.SaveSquare(output, samples);
Console.WriteLine($"64 images from N(0, I) through the decoder of a VAE trained on {data}: {output}");
