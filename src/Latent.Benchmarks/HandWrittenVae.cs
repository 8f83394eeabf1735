using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Benchmarks;

/// <summary>
/// The reference VAE written the shortest way TorchSharp allows: two Sequentials, torch.optim.Adam,
/// tensors already in memory, no shuffling, no callbacks, no logging. It is the yardstick for the
/// cost of Latent's machinery (trainer, model contract, metrics).
/// </summary>
public static class HandWrittenVae
{
    public static BenchResult Throughput(string name, Tensor images, int batch, double peak, TimeSpan window)
    {
        manual_seed(1);
        int features = (int)(images.numel() / images.shape[0]);
        var encoder = nn.Sequential(nn.Linear(features, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 64));
        var decoder = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, features));
        var optimizer = optim.Adam(encoder.parameters().Concat(decoder.parameters()), lr: 1e-3);
        var flat = images.reshape(images.shape[0], features);
        int batches = (int)(flat.shape[0] / batch);

        void Step(int index)
        {
            using var scope = NewDisposeScope();
            var x = flat.narrow(0, (long)index % batches * batch, batch);
            var (mean, logVariance) = encoder.forward(x).chunk(2, 1) is var halves ? (halves[0], halves[1]) : default;
            var z = mean + (0.5 * logVariance).exp() * randn_like(mean);
            var reconstruction = nn.functional.binary_cross_entropy_with_logits(decoder.forward(z), x, reduction: nn.Reduction.Sum) / batch;
            var kl = -0.5 * (1 + logVariance - mean.square() - logVariance.exp()).sum() / batch;
            optimizer.zero_grad();
            (reconstruction + kl).backward();
            optimizer.step();
        }

        for (int i = 0; i < 20; i++) Step(i); // warm up
        var clock = Stopwatch.StartNew();
        int steps = 0;
        while (clock.Elapsed < window) Step(20 + steps++);
        double perSecond = (double)steps * batch / clock.Elapsed.TotalSeconds;
        long forwardMacs = (long)features * 512 + 512 * 256 + 256 * 64 + 32 * 256 + 256 * 512 + 512L * features;
        double gflops = 3.0 * forwardMacs * 2 * perSecond / 1e9;
        encoder.Dispose();
        decoder.Dispose();
        return new BenchResult(name, "the same VAE in a minimal TorchSharp loop", perSecond, gflops, gflops / peak);
    }
}
