// Compressing images to VQ codes and back: train a conv VQ-VAE, pack the test images' codes at ⌈log2 K⌉
// bits each into a .vq file, read it back, decode, and compare size and error with the raw pixels.
// Run: dotnet run vq-compress.cs
#:package Latent@0.1.0
#:package libtorch-cpu-linux-x64@2.10.0
using Latent;
using Latent.Data;
using Latent.Families;
using Latent.Models;
using Latent.Models.VectorQuantized;
using Latent.Runs;
using Latent.Training;
using Latent.Workflows;
using static TorchSharp.torch;

NativeRuntime.Configure();
var folder = Path.Combine(Path.GetTempPath(), "latent-vq-example");
if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);

var vqvae = new VqOptions { Arch = Architecture.Conv, CodebookSize = 256, PriorEpochs = 0 };
TrainingRun.Start(new TrainRequest(vqvae, new DataOptions { Data = "shapes", Limit = 6000 },
    ModelCatalog.DefaultTraining(vqvae) with { Epochs = 2 }, Path.Combine(folder, "run")),       // the family's defaults, 2 epochs
    new TrainingCallbacks());

var run = RunDirectory.Open(Path.Combine(folder, "run"));
using var model = run.LoadModel();
var codes = model as IDiscreteCodes ?? throw new InvalidOperationException("a VQ-VAE has discrete codes");
var test = run.LoadSplit(DataSplit.Test);
var file = Path.Combine(folder, "test.vq");
long bytes = PackedCodes.Encode(codes, test, file);         // the codes of every test image, bit-packed
using var decoded = PackedCodes.Decode(codes, file);        // read back and decoded: [N, 1, 32, 32]
double mse = (decoded - test.Features).square().mean().item<float>();
long raw = (long)test.Count * test.Shape.Size;              // one byte per pixel
Console.WriteLine($"{test.Count} images: {raw} bytes of pixels → {bytes} bytes of codes ({codes.BitsPerExample} bits per image, " +
                  $"{(double)raw / bytes:F0}× smaller); decoded MSE {mse:F4} per pixel");
