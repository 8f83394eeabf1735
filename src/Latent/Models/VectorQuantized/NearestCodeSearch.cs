// The nearest-code search of a VQ-VAE, k = argmin_j (‖e_j‖² − 2 z·e_j), fused so that the N×K distances never reach memory.
//   The kernels score a register tile of codes against a few rows at a time and keep only each row's running minimum
//   (the register-blocking of a GEMM micro-kernel, Goto & van de Geijn 2008, with the argmin folded into it).

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>Which implementation of the nearest-code search runs; every one returns the same codes.</summary>
public enum NearestCodeKernel
{
    /// <summary>libtorch: one matrix product fused with the norms (addmm), then argmin. Any device, any dtype.</summary>
    Addmm,

    /// <summary>The fused search on 128-bit vectors (4 codes a register): SSE/AVX with FMA on x64, NEON on ARM64.</summary>
    Vector128,

    /// <summary>The fused search on 256-bit vectors (8 codes a register): AVX2 with FMA.</summary>
    Avx2,

    /// <summary>The fused search on 512-bit vectors (16 codes a register): AVX-512.</summary>
    Avx512,
}

/// <summary>
/// argmin_k (‖e_k‖² − 2 z·e_k) for every row z, fused: the distances are formed in registers and only
/// the running minimum of each row is kept, so the N×K distance matrix is never written to memory.
/// libtorch's addmm + argmin writes and re-reads that matrix, which for a training batch at K = 8192
/// (6272 × 8192 floats, 205 MB) makes the search memory-bound: 176 ms there against 8 ms with the
/// AVX-512 kernel, about 400 GFLOP/s on 2 cores, faster than libtorch's own large matrix products on this machine.
/// <para>
/// One kernel body, instantiated for three vector widths W (16, 8 and 4 floats: AVX-512, AVX2,
/// 128-bit). The codes are packed code-interleaved, [K/W][D][W], so that one load gives one coordinate
/// of W codes; the kernel scores two such tiles against four rows at a time (8 accumulators, 6 loads per
/// 8 fused multiply-adds). Codes are visited in chunks that stay in the L1 cache while every row of a
/// block passes over them. Every lane forms its dot product by fused multiply-adds in coordinate order, so
/// the three widths give bit-identical distances; every row is reduced in a fixed order, so the result
/// does not depend on the thread count; ties go to the lowest index, as argmin's.
/// </para>
/// <para>
/// The fastest kernel the CPU supports runs unless the environment variable
/// <see cref="KernelVariable"/> names another (avx512, avx2, vector128 or addmm): that is how tests
/// cover every kernel and how an AVX2-only machine is emulated on an AVX-512 one.
/// </para>
/// </summary>
public static class NearestCodeSearch
{
    /// <summary>Environment variable that forces a kernel: avx512, avx2, vector128 or addmm.</summary>
    public const string KernelVariable = "LATENT_NEAREST_CODE_KERNEL";

    /// <summary>Distances the addmm kernel computes at once are at most this many elements (64 MB of float32), whatever N and K.</summary>
    public const long AddmmBlockElements = 1L << 24;

    const int RowsPerBlock = 64;   // rows one task owns; their running minima live in a small scratch array
    const int CodeChunkBytes = 32 * 1024;
    const int TilesPerPass = 2;   // W-code tiles one pass of the kernel scores at once; the packed codes are padded to a multiple

    static readonly Lazy<NearestCodeKernel> _selected = new(SelectFromEnvironment);

    /// <summary>The fastest kernel this CPU supports.</summary>
    public static NearestCodeKernel Fastest { get; } =
        Supports(NearestCodeKernel.Avx512) ? NearestCodeKernel.Avx512
        : Supports(NearestCodeKernel.Avx2) ? NearestCodeKernel.Avx2
        : Supports(NearestCodeKernel.Vector128) ? NearestCodeKernel.Vector128
        : NearestCodeKernel.Addmm;

    /// <summary>
    /// The kernel that float32 CPU searches use: <see cref="KernelVariable"/> when set, else <see cref="Fastest"/>.
    /// A value that is not a kernel, or a kernel this CPU lacks, is a <see cref="UserInputException"/>.
    /// </summary>
    public static NearestCodeKernel Selected => _selected.Value;

    /// <summary>Every kernel this CPU runs, slowest first; addmm always.</summary>
    public static IReadOnlyList<NearestCodeKernel> Supported { get; } = Enum.GetValues<NearestCodeKernel>().Where(Supports).ToArray();

    /// <summary>Whether this CPU runs <paramref name="kernel"/> in hardware (the fused ones need fused multiply-add).</summary>
    public static bool Supports(NearestCodeKernel kernel) => kernel switch
    {
        NearestCodeKernel.Addmm => true,
        NearestCodeKernel.Vector128 => Vector128.IsHardwareAccelerated && (Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported),
        NearestCodeKernel.Avx2 => Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported,
        NearestCodeKernel.Avx512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        _ => false,
    };

    /// <summary>The kernel's name as <see cref="KernelVariable"/> and <c>latent bench</c> spell it: avx512, avx2, vector128, addmm.</summary>
    public static string Name(NearestCodeKernel kernel) => kernel.ToString().ToLowerInvariant();

    /// <summary>The kernel that <see cref="Nearest(Tensor, Tensor)"/> runs for these tensors: <see cref="Selected"/> for float32 on the CPU, else addmm.</summary>
    public static NearestCodeKernel KernelFor(Tensor codes, Tensor vectors) =>
        codes.device_type == TorchSharp.DeviceType.CPU && vectors.device_type == TorchSharp.DeviceType.CPU
        && codes.dtype == ScalarType.Float32 && vectors.dtype == ScalarType.Float32
            ? Selected
            : NearestCodeKernel.Addmm;

    /// <summary>Codes [K, D], vectors [N, D] → index of the nearest code of each row [N] (int64), by the kernel <see cref="KernelFor"/> picks.</summary>
    public static Tensor Nearest(Tensor codes, Tensor vectors) => Nearest(codes, vectors, KernelFor(codes, vectors));

    /// <summary>
    /// Codes [K, D], vectors [N, D] → index of the nearest code of each row [N] (int64), by
    /// <paramref name="kernel"/> on <paramref name="threads"/> threads (default: torch's thread count).
    /// The fused kernels need float32 CPU tensors and a CPU that <see cref="Supports"/> them.
    /// </summary>
    public static Tensor Nearest(Tensor codes, Tensor vectors, NearestCodeKernel kernel, int? threads = null)
    {
        if (kernel == NearestCodeKernel.Addmm) return NearestByAddmm(codes, vectors);
        if (!Supports(kernel)) throw new PlatformNotSupportedException($"the {Name(kernel)} nearest-code kernel needs hardware this CPU lacks");
        return kernel switch
        {
            NearestCodeKernel.Avx512 => Fused<Lanes512, Vector512<float>, Vector512<int>>(codes, vectors, threads),
            NearestCodeKernel.Avx2 => Fused<Lanes256, Vector256<float>, Vector256<int>>(codes, vectors, threads),
            _ => Fused<Lanes128, Vector128<float>, Vector128<int>>(codes, vectors, threads),
        };
    }

    static NearestCodeKernel SelectFromEnvironment() => Parse(Environment.GetEnvironmentVariable(KernelVariable));

    /// <summary>The value of <see cref="KernelVariable"/> → the kernel it names; unset or empty → <see cref="Fastest"/>.</summary>
    internal static NearestCodeKernel Parse(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested)) return Fastest;
        var names = string.Join(", ", Supported.Reverse().Select(Name));
        var named = Enum.GetValues<NearestCodeKernel>().Where(k => Name(k) == requested.Trim().ToLowerInvariant()).ToArray();
        if (named.Length == 0)
            throw new UserInputException($"{KernelVariable}={requested} is not a nearest-code kernel; set it to one of {names}, or unset it");
        if (!Supports(named[0]))
            throw new UserInputException($"{KernelVariable}={requested} needs hardware this CPU lacks; set it to one of {names}, or unset it");
        return named[0];
    }

    /// <summary>
    /// One matrix product fused with the broadcast add (addmm), then argmin, in blocks of rows of at most
    /// <see cref="AddmmBlockElements"/> distances so that memory stays bounded for large N·K (one block
    /// for a training batch at K = 512).
    /// </summary>
    static Tensor NearestByAddmm(Tensor codes, Tensor vectors)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var codeNorms = codes.square().sum(1); // [K]
        var codesT = codes.t();                // [D, K]
        long count = vectors.shape[0], block = Math.Max(1, AddmmBlockElements / Math.Max(1, codes.shape[0]));
        if (count <= block)
            return codeNorms.addmm(vectors, codesT, beta: 1, alpha: -2).argmin(1).MoveToOuterDisposeScope(); // [N, K] -> [N]
        var parts = new List<Tensor>();
        for (long start = 0; start < count; start += block)
            parts.Add(codeNorms.addmm(vectors.narrow(0, start, Math.Min(block, count - start)), codesT, beta: 1, alpha: -2).argmin(1));
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    static Tensor Fused<TLanes, TFloat, TInt>(Tensor codes, Tensor vectors, int? threads)
        where TLanes : struct, ILanes<TFloat, TInt> where TFloat : unmanaged where TInt : unmanaged
    {
        int width = TLanes.Width;
        int size = (int)codes.shape[0], dimension = (int)codes.shape[1], count = (int)vectors.shape[0];
        int tiles = (size + width * TilesPerPass - 1) / (width * TilesPerPass) * TilesPerPass;
        // Pooled: at K = 8192 the packed codes are a megabyte, which would otherwise be a large-object allocation every step.
        var packed = ArrayPool<float>.Shared.Rent(tiles * dimension * width);
        var norms = ArrayPool<float>.Shared.Rent(tiles * width);
        try
        {
            using (var contiguousCodes = codes.detach().contiguous())
                Pack(MemoryMarshal.Cast<byte, float>(contiguousCodes.bytes), size, dimension, width, tiles, packed, norms);
            var result = empty(count, ScalarType.Int64);
            using var rows = vectors.detach().contiguous();
            int blocks = (count + RowsPerBlock - 1) / RowsPerBlock;
            int tilesPerChunk = Math.Max(1, CodeChunkBytes / (dimension * width * sizeof(float) * TilesPerPass)) * TilesPerPass;
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads ?? get_num_threads()) };
            // Spans cannot cross into the lambda; the tensors outlive the loop, so each block re-views their memory.
            Parallel.For(0, blocks, parallel, block =>
            {
                int first = block * RowsPerBlock, rowCount = Math.Min(RowsPerBlock, count - first);
                var values = MemoryMarshal.Cast<byte, float>(rows.bytes).Slice(first * dimension, rowCount * dimension);
                var indices = MemoryMarshal.Cast<byte, long>(result.bytes).Slice(first, rowCount);
                SearchBlock<TLanes, TFloat, TInt>(values, rowCount, dimension, packed, norms, tiles, tilesPerChunk, indices);
            });
            return result;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<float>.Shared.Return(norms);
        }
    }

    /// <summary>Codes [K, D] row-major → packed [tiles][D][W] and their squared norms; padding codes get +∞ norm, so never win.</summary>
    static void Pack(ReadOnlySpan<float> codes, int size, int dimension, int width, int tiles, float[] packed, float[] norms)
    {
        Array.Fill(norms, float.PositiveInfinity, 0, tiles * width);
        Array.Clear(packed, 0, tiles * dimension * width);
        for (int k = 0; k < size; k++)
        {
            int tile = k / width, lane = k % width;
            float norm = 0;
            for (int d = 0; d < dimension; d++)
            {
                float value = codes[k * dimension + d];
                packed[(tile * dimension + d) * width + lane] = value;
                norm += value * value;
            }
            norms[k] = norm;
        }
    }

    static unsafe void SearchBlock<TLanes, TFloat, TInt>(ReadOnlySpan<float> rows, int rowCount, int dimension, float[] packed, float[] norms,
                                                         int tiles, int tilesPerChunk, Span<long> result)
        where TLanes : struct, ILanes<TFloat, TInt> where TFloat : unmanaged where TInt : unmanaged
    {
        int width = TLanes.Width;
        // Per row and lane: the smallest distance so far and the code it belongs to.
        Span<TFloat> best = stackalloc TFloat[rowCount];
        Span<TInt> bestIndex = stackalloc TInt[rowCount];
        best.Fill(TLanes.Broadcast(float.PositiveInfinity));
        bestIndex.Clear();
        var minusTwo = TLanes.Broadcast(-2f);

        fixed (float* rowBase = rows, codeBase = packed, normBase = norms)
        {
            for (int chunk = 0; chunk < tiles; chunk += tilesPerChunk)
            {
                int chunkEnd = Math.Min(tiles, chunk + tilesPerChunk);
                int row = 0;
                for (; row + 4 <= rowCount; row += 4)
                {
                    float* z0 = rowBase + row * dimension, z1 = z0 + dimension, z2 = z1 + dimension, z3 = z2 + dimension;
                    var (b0, b1, b2, b3) = (best[row], best[row + 1], best[row + 2], best[row + 3]);
                    var (i0, i1, i2, i3) = (bestIndex[row], bestIndex[row + 1], bestIndex[row + 2], bestIndex[row + 3]);
                    for (int tile = chunk; tile < chunkEnd; tile += 2)
                    {
                        // Two tiles of W codes against four rows: 8 accumulators, 2 loads and 4 broadcasts per coordinate.
                        float* code = codeBase + (long)tile * dimension * width, next = code + dimension * width;
                        TFloat a0 = default, a1 = default, a2 = default, a3 = default;
                        TFloat c0 = default, c1 = default, c2 = default, c3 = default;
                        for (int d = 0; d < dimension; d++)
                        {
                            var (e, f) = (TLanes.Load(code + d * width), TLanes.Load(next + d * width));
                            var (s0, s1, s2, s3) = (TLanes.Broadcast(z0[d]), TLanes.Broadcast(z1[d]), TLanes.Broadcast(z2[d]), TLanes.Broadcast(z3[d]));
                            a0 = TLanes.MultiplyAdd(s0, e, a0);
                            c0 = TLanes.MultiplyAdd(s0, f, c0);
                            a1 = TLanes.MultiplyAdd(s1, e, a1);
                            c1 = TLanes.MultiplyAdd(s1, f, c1);
                            a2 = TLanes.MultiplyAdd(s2, e, a2);
                            c2 = TLanes.MultiplyAdd(s2, f, c2);
                            a3 = TLanes.MultiplyAdd(s3, e, a3);
                            c3 = TLanes.MultiplyAdd(s3, f, c3);
                        }
                        var (norm, nextNorm) = (TLanes.Load(normBase + tile * width), TLanes.Load(normBase + (tile + 1) * width));
                        var (index, nextIndex) = (TLanes.Indices(tile * width), TLanes.Indices((tile + 1) * width));
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, a0, norm), index, ref b0, ref i0);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, c0, nextNorm), nextIndex, ref b0, ref i0);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, a1, norm), index, ref b1, ref i1);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, c1, nextNorm), nextIndex, ref b1, ref i1);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, a2, norm), index, ref b2, ref i2);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, c2, nextNorm), nextIndex, ref b2, ref i2);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, a3, norm), index, ref b3, ref i3);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, c3, nextNorm), nextIndex, ref b3, ref i3);
                    }
                    (best[row], best[row + 1], best[row + 2], best[row + 3]) = (b0, b1, b2, b3);
                    (bestIndex[row], bestIndex[row + 1], bestIndex[row + 2], bestIndex[row + 3]) = (i0, i1, i2, i3);
                }
                for (; row < rowCount; row++)
                {
                    float* z = rowBase + row * dimension;
                    var (b, i) = (best[row], bestIndex[row]);
                    for (int tile = chunk; tile < chunkEnd; tile++)
                    {
                        float* code = codeBase + (long)tile * dimension * width;
                        TFloat a = default;
                        for (int d = 0; d < dimension; d++) a = TLanes.MultiplyAdd(TLanes.Broadcast(z[d]), TLanes.Load(code + d * width), a);
                        TLanes.Keep(TLanes.MultiplyAdd(minusTwo, a, TLanes.Load(normBase + tile * width)), TLanes.Indices(tile * width), ref b, ref i);
                    }
                    (best[row], bestIndex[row]) = (b, i);
                }
            }
        }

        // Across lanes: the smallest distance, the lowest code index among equals (a row of NaN keeps code 0).
        var bestValues = MemoryMarshal.Cast<TFloat, float>(best);  // [rows, W]
        var bestCodes = MemoryMarshal.Cast<TInt, int>(bestIndex);   // [rows, W]
        for (int row = 0; row < rowCount; row++)
        {
            float value = float.PositiveInfinity;
            int index = 0;
            for (int lane = 0; lane < width; lane++)
            {
                float candidate = bestValues[row * width + lane];
                int code = bestCodes[row * width + lane];
                if (candidate < value || (candidate == value && code < index)) (value, index) = (candidate, code);
            }
            result[row] = index;
        }
    }

    /// <summary>The vector operations the kernel needs, for one register width; each is one or two instructions.</summary>
    unsafe interface ILanes<TFloat, TInt> where TFloat : unmanaged where TInt : unmanaged
    {
        /// <summary>W, floats per register.</summary>
        static abstract int Width { get; }
        static abstract TFloat Load(float* address);
        static abstract TFloat Broadcast(float value);
        /// <summary>a·b + c, rounded once.</summary>
        static abstract TFloat MultiplyAdd(TFloat a, TFloat b, TFloat c);
        /// <summary>first, first + 1, …, first + W − 1.</summary>
        static abstract TInt Indices(int first);
        /// <summary>Per lane: keep the candidate where it is strictly smaller (so the earlier code wins a tie within a lane).</summary>
        static abstract void Keep(TFloat distance, TInt index, ref TFloat best, ref TInt bestIndex);
    }

    readonly unsafe struct Lanes512 : ILanes<Vector512<float>, Vector512<int>>
    {
        public static int Width => Vector512<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* address) => Vector512.Load(address);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Indices(int first) => Vector512<int>.Indices + Vector512.Create(first);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Keep(Vector512<float> distance, Vector512<int> index, ref Vector512<float> best, ref Vector512<int> bestIndex)
        {
            var smaller = Vector512.LessThan(distance, best);
            best = Vector512.ConditionalSelect(smaller, distance, best);
            bestIndex = Vector512.ConditionalSelect(smaller.AsInt32(), index, bestIndex);
        }
    }

    readonly unsafe struct Lanes256 : ILanes<Vector256<float>, Vector256<int>>
    {
        public static int Width => Vector256<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* address) => Vector256.Load(address);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Indices(int first) => Vector256<int>.Indices + Vector256.Create(first);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Keep(Vector256<float> distance, Vector256<int> index, ref Vector256<float> best, ref Vector256<int> bestIndex)
        {
            var smaller = Vector256.LessThan(distance, best);
            best = Vector256.ConditionalSelect(smaller, distance, best);
            bestIndex = Vector256.ConditionalSelect(smaller.AsInt32(), index, bestIndex);
        }
    }

    readonly unsafe struct Lanes128 : ILanes<Vector128<float>, Vector128<int>>
    {
        public static int Width => Vector128<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* address) => Vector128.Load(address);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Indices(int first) => Vector128<int>.Indices + Vector128.Create(first);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Keep(Vector128<float> distance, Vector128<int> index, ref Vector128<float> best, ref Vector128<int> bestIndex)
        {
            var smaller = Vector128.LessThan(distance, best);
            best = Vector128.ConditionalSelect(smaller, distance, best);
            bestIndex = Vector128.ConditionalSelect(smaller.AsInt32(), index, bestIndex);
        }
    }
}
