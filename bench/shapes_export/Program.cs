// Writes images of the built-in shapes as raw little-endian float32 rows [N, C·H·W], exactly the
// training matrix of `latent pca --data shapes:SPEC --examples N --validation-fraction 0` (seed 1),
// rendered one image at a time through ShapesSource.Draw and Render, as a streaming reader would.
//   dotnet run -c Release --project bench/shapes_export -- 64:rgb 50000 /tmp/shapes.f32
// With /dev/null as the file it only measures the rendering rate (images/s, all cores).

using System.Diagnostics;
using System.Runtime.InteropServices;
using Latent.Data.Sources;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ShapesExport SPEC COUNT FILE   (SPEC as after shapes:, e.g. 64:rgb)");
    return 2;
}
var spec = ShapesSpec.Parse(args[0]);
long count = long.Parse(args[1]);
const int chunk = 2048;
var buffer = new float[chunk * spec.PixelCount];
using var output = File.Create(args[2]);
var clock = Stopwatch.StartNew();
double rendering = 0;
for (long start = 0; start < count; start += chunk)
{
    int length = (int)Math.Min(chunk, count - start);
    var rendered = Stopwatch.StartNew();
    Parallel.For(0, length, i => ShapesSource.Render(spec, ShapesSource.Draw(ShapesSource.TrainSeed, start + i, spec.Colour),
                                                     buffer.AsSpan(i * spec.PixelCount, spec.PixelCount)));
    rendering += rendered.Elapsed.TotalSeconds;
    output.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, length * spec.PixelCount)));
}
Console.WriteLine($"{count} images of {spec} ({spec.Channels}×{spec.Size}×{spec.Size}) in {clock.Elapsed.TotalSeconds:F1} s; " +
                  $"rendering alone {count / rendering:F0} images/s on {Environment.ProcessorCount} cores");
return 0;
