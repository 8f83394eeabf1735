// Seconds per nearest-code search of one training batch's encoder outputs (128 images × 7×7 positions = 6272
// vectors of D = 32) against K = 512 and K = 8192 codes, for every kernel of NearestCodeSearch this CPU runs
// (avx512, avx2, vector128, and addmm + argmin, which is libtorch's). Each figure is the best of ROUNDS rounds of
// at least SECONDS each. One line per figure: "latent KERNEL K SECONDS". bench/nearest_code_vs_pytorch.sh runs
// it alternately with bench/nearest_code_pytorch.py, the same searches in PyTorch, and prints the ratios.
//   dotnet run -c Release --project bench/NearestCodeVsPyTorch -- [THREADS=2] [ROUNDS=3] [SECONDS=0.5]
using System.Diagnostics;
using System.Globalization;
using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

int threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 0.5;
Latent.NativeRuntime.Configure();
set_num_threads(threads);

const int Vectors = 128 * 49, Dimension = 32;
manual_seed(1);
using var z = randn(Vectors, Dimension);
foreach (int size in new[] { 512, 8192 })
{
    using var codes = randn(size, Dimension);
    foreach (var kernel in NearestCodeSearch.Supported)
    {
        double best = double.PositiveInfinity;
        for (int round = 0; round < rounds; round++)
        {
            using (NearestCodeSearch.Nearest(codes, z, kernel, threads)) { } // warm-up: JIT, first-touch
            int calls = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds || calls < 3)
            {
                using var found = NearestCodeSearch.Nearest(codes, z, kernel, threads);
                calls++;
            }
            best = Math.Min(best, clock.Elapsed.TotalSeconds / calls);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latent {NearestCodeSearch.Name(kernel)} {size} {best:E4}"));
    }
}
