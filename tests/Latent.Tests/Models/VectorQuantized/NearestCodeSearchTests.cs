using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Tests.Models.VectorQuantized;

public sealed class NearestCodeSearchTests
{
    static readonly (int Rows, int Dimension, int Codes)[] Shapes =
    [
        (1, 1, 1),
        (7, 3, 5),         // fewer codes than one tile, rows not a multiple of 4
        (1000, 33, 300),   // codes spill into a padded tile, several row blocks
        (517, 64, 4099),   // several L1 chunks of codes
    ];

    static readonly NearestCodeKernel[] Fused = [NearestCodeKernel.Avx512, NearestCodeKernel.Avx2, NearestCodeKernel.Vector128];

    public static TheoryData<string, int, int, int> EveryKernelAndShape()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var kernel in Enum.GetValues<NearestCodeKernel>())
            foreach (var (rows, dimension, codes) in Shapes)
                data.Add(NearestCodeSearch.Name(kernel), rows, dimension, codes);
        return data;
    }

    public static TheoryData<string> FusedKernels()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in Fused) data.Add(NearestCodeSearch.Name(kernel));
        return data;
    }

    static NearestCodeKernel Kernel(string name)
    {
        var kernel = Enum.GetValues<NearestCodeKernel>().Single(k => NearestCodeSearch.Name(k) == name);
        Skip.IfNot(NearestCodeSearch.Supports(kernel), $"this CPU lacks the hardware of the {name} kernel; it is tested where it runs");
        return kernel;
    }

    /// <summary>‖e‖² − 2 z·e for every row and code [N, K], by addmm in float64 on the same numbers.</summary>
    static Tensor Distances(Tensor book, Tensor vectors)
    {
        using var scope = NewDisposeScope();
        var (b, v) = (book.to_type(ScalarType.Float64), vectors.to_type(ScalarType.Float64));
        return b.square().sum(1).addmm(v, b.t(), beta: 1, alpha: -2).MoveToOuterDisposeScope();
    }

    /// <summary>addmm + argmin in float64: argmin returns the first of equal minima.</summary>
    static long[] Reference(Tensor book, Tensor vectors)
    {
        using var distances = Distances(book, vectors);
        using var codes = distances.argmin(1); // [N, K] -> [N]
        return codes.data<long>().ToArray();
    }

    [SkippableTheory]
    [MemberData(nameof(EveryKernelAndShape))]
    public void Every_kernel_returns_exactly_the_codes_of_addmm_and_argmin_ties_included(string name, int rows, int dimension, int codes)
    {
        var kernel = Kernel(name);
        // Small integers: every product and sum is exact in float32, so the distances are exact whatever the
        // order of summation, many of them tie, and the codes must equal argmin's, the lowest index among equals.
        var generator = new Generator((ulong)(rows * 7919 + dimension * 31 + codes));
        using var book = randint(-3, 4, [codes, dimension], generator: generator).to_type(ScalarType.Float32);
        using var vectors = randint(-3, 4, [rows, dimension], generator: generator).to_type(ScalarType.Float32);
        using var found = NearestCodeSearch.Nearest(book, vectors, kernel);
        Assert.Equal(Reference(book, vectors), found.data<long>().ToArray());
    }

    [SkippableTheory]
    [MemberData(nameof(FusedKernels))]
    public void A_fused_kernel_agrees_with_addmm_on_gaussian_data_wherever_rounding_cannot_decide(string name)
    {
        var kernel = Kernel(name);
        var generator = new Generator(5);
        using var book = randn([4099, 64], generator: generator);
        using var vectors = randn([517, 64], generator: generator);
        using var found = NearestCodeSearch.Nearest(book, vectors, kernel);
        var expected = Reference(book, vectors);
        // The float64 distances of every code; a row whose two nearest codes lie within float32 rounding of
        // each other may go either way, every other row must pick the same code.
        using var distances = Distances(book, vectors);          // [N, K]
        using var nearestTwo = distances.topk(2, 1, largest: false).values; // [N, 2], ascending
        using var gap = nearestTwo.select(1, 1) - nearestTwo.select(1, 0);
        var gaps = gap.data<double>().ToArray();
        var actual = found.data<long>().ToArray();
        int decided = 0;
        for (int row = 0; row < actual.Length; row++)
            if (gaps[row] > 1e-3)
            {
                Assert.Equal(expected[row], actual[row]);
                decided++;
            }
        Assert.True(decided > actual.Length * 9 / 10, $"only {decided} rows had a clear nearest code");
    }

    [SkippableTheory]
    [MemberData(nameof(FusedKernels))]
    public void A_fused_kernel_gives_the_same_codes_as_every_other_width_and_on_any_thread_count(string name)
    {
        var kernel = Kernel(name);
        Kernel("vector128");
        var generator = new Generator(11);
        using var book = randn([1000, 33], generator: generator);
        using var vectors = randn([3001, 33], generator: generator);
        // Each lane sums its dot product by fused multiply-adds in coordinate order, so the widths agree to the bit.
        using var reference = NearestCodeSearch.Nearest(book, vectors, NearestCodeKernel.Vector128, threads: 1);
        using var one = NearestCodeSearch.Nearest(book, vectors, kernel, threads: 1);
        using var three = NearestCodeSearch.Nearest(book, vectors, kernel, threads: 3);
        Assert.Equal(reference.data<long>().ToArray(), one.data<long>().ToArray());
        Assert.Equal(one.data<long>().ToArray(), three.data<long>().ToArray());
    }

    [SkippableTheory]
    [MemberData(nameof(FusedKernels))]
    public void Ties_go_to_the_lowest_index_as_argmin_does(string name)
    {
        var kernel = Kernel(name);
        // 40 copies of the same code: every one is nearest; the first must win, across tiles and lanes.
        using var book = ones(40, 3);
        using var vectors = zeros(5, 3);
        using var found = NearestCodeSearch.Nearest(book, vectors, kernel);
        Assert.All(found.data<long>().ToArray(), index => Assert.Equal(0L, index));
    }

    [Fact]
    public void The_environment_variable_names_a_kernel_and_unset_means_the_fastest()
    {
        Assert.Equal(NearestCodeSearch.Fastest, NearestCodeSearch.Parse(null));
        Assert.Equal(NearestCodeSearch.Fastest, NearestCodeSearch.Parse(" "));
        Assert.Equal(NearestCodeKernel.Addmm, NearestCodeSearch.Parse("addmm"));
        Assert.Equal(NearestCodeKernel.Addmm, NearestCodeSearch.Parse(" ADDMM "));
        foreach (var kernel in NearestCodeSearch.Supported) Assert.Equal(kernel, NearestCodeSearch.Parse(NearestCodeSearch.Name(kernel)));
        Assert.Contains(NearestCodeKernel.Addmm, NearestCodeSearch.Supported);
        Assert.Contains(NearestCodeSearch.Fastest, NearestCodeSearch.Supported);
    }

    [Fact]
    public void A_value_that_is_no_kernel_is_a_user_error_naming_the_choices()
    {
        foreach (var bad in new[] { "sse", "3", "avx-512" })
        {
            var error = Assert.Throws<UserInputException>(() => NearestCodeSearch.Parse(bad));
            Assert.Contains(NearestCodeSearch.KernelVariable, error.Message);
            Assert.Contains("addmm", error.Message);
        }
    }

    [SkippableFact]
    public void A_kernel_this_cpu_lacks_is_a_user_error()
    {
        var missing = Enum.GetValues<NearestCodeKernel>().Where(k => !NearestCodeSearch.Supports(k)).ToArray();
        Skip.If(missing.Length == 0, "this CPU runs every kernel");
        var error = Assert.Throws<UserInputException>(() => NearestCodeSearch.Parse(NearestCodeSearch.Name(missing[0])));
        Assert.Contains("lacks", error.Message);
    }

    [Fact]
    public void Float64_codes_are_searched_by_addmm()
    {
        using var book = randn(10, 3, ScalarType.Float64);
        using var vectors = randn(4, 3, ScalarType.Float64);
        Assert.Equal(NearestCodeKernel.Addmm, NearestCodeSearch.KernelFor(book, vectors));
        using var found = NearestCodeSearch.Nearest(book, vectors);
        Assert.Equal(Reference(book, vectors), found.data<long>().ToArray());
    }
}
