// Decode throughput, ONNX Runtime against TorchSharp, on the same decoder and the same batches:
// the reference VAE's MLP decoder (32-256-512-784) and the conv VAE's (D = 32, channels 32, 64), seeded
// (throughput does not depend on the weights), on 28×28 images. Both sides get the same threads; the
// two engines alternate, several rounds, and each figure is the best round. Usage:
//   dotnet run -c Release --project bench/OnnxVsTorchSharp -- [THREADS=2] [ROUNDS=3] [SECONDS=0.5]
using System.Diagnostics;
using System.Globalization;
using Latent.Data;
using Latent.Export;
using Latent.Models;
using Latent.Models.Variational;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0.5;
Latent.NativeRuntime.Configure();
set_num_threads(threads);
Console.WriteLine($"threads {threads}, best of {rounds} rounds of ≥ {seconds} s; images decoded per second");
Console.WriteLine($"{"decoder",-8} {"batch",6} {"TorchSharp",12} {"ONNX Runtime",13} {"ORT / TS",9}");

var shape = DataShape.Image(1, 28, 28);
foreach (var architecture in new[] { Architecture.Mlp, Architecture.Conv })
{
    manual_seed(1);
    var options = new VaeOptions { Arch = architecture, LatentDim = 32, Hidden = [512, 256], Channels = [32, 64] };
    using var model = (VariationalAutoencoder)ModelCatalog.Find("vae").Create(options, shape);
    model.eval();
    var decoder = OnnxExport.Graphs(model)["decoder"];
    using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
    // ONNX Runtime's threads spin between runs by default, which would take the cores from libtorch in the next round.
    sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
    using var session = new InferenceSession(decoder, sessionOptions);
    foreach (int batch in new[] { 1, 64, 1000 })
    {
        using var z = randn(batch, 32);
        var input = new DenseTensor<float>(z.data<float>().ToArray(), [batch, 32]);
        var inputs = new[] { NamedOnnxValue.CreateFromTensor("z", input) };
        void Torch()
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            model.Decode(z);
        }
        void Onnx()
        {
            using var results = session.Run(inputs);
        }
        double torchBest = 0, onnxBest = 0;
        Rate(Torch, batch, 0.1); Rate(Onnx, batch, 0.1);               // warm-up
        for (int round = 0; round < rounds; round++)
        {
            torchBest = Math.Max(torchBest, Rate(Torch, batch, seconds));
            onnxBest = Math.Max(onnxBest, Rate(Onnx, batch, seconds));
        }
        Console.WriteLine($"{architecture.ToString().ToLowerInvariant(),-8} {batch,6} {torchBest,12:N0} {onnxBest,13:N0} {onnxBest / torchBest,9:F2}");
    }
}

// Runs step until at least `seconds` have passed; returns images per second.
static double Rate(Action step, int batch, double seconds)
{
    var clock = Stopwatch.StartNew();
    long steps = 0;
    while (clock.Elapsed.TotalSeconds < seconds) { step(); steps++; }
    return steps * batch / clock.Elapsed.TotalSeconds;
}
