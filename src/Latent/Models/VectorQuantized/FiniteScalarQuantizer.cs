// Finite scalar quantization: Mentzer, Minnen, Agustsson & Tschannen 2023, "Finite Scalar Quantization: VQ-VAE Made Simple".
//   §3.1 and the listing of appendix A.1: z is projected to d channels; channel i, with L_i levels, is bounded by
//     f(z_i) = tanh(z_i + s_i)·h_i − o_i,   h_i = (L_i − 1)(1 − ε)/2,  o_i = ½ for even L_i (else 0),  s_i = tan(o_i / h_i),
//   so that rounding gives exactly L_i integers, ⌊−L_i/2⌋ … ⌊(L_i − 1)/2⌋; then ẑ_i = round(f(z_i)) / ⌊L_i/2⌋ with the
//   straight-through estimator, f(z) + sg(round(f(z)) − f(z)). The shift is the listing's tan: atanh (vector-quantize-
//   pytorch's choice, which would make f(0) = 0 exactly) is undefined for L_i = 2, where o_i/h_i > 1; for L_i ≥ 3
//   the two differ by at most 0.006 (L = 4) and 10⁻⁴ at L = 8.
//   The codebook is implicit, the grid of Π_i L_i points; the code of ẑ is the mixed-radix integer
//   Σ_i (ẑ_i·⌊L_i/2⌋ + ⌊L_i/2⌋)·Π_{j<i} L_j (the listing's codes_to_indexes). No codebook or commitment loss (§3.2):
//   every code stays reachable by construction, and the cost of a step does not depend on the codebook size.
//   Table 1: the levels recommended for each codebook size (RecommendedLevels).

using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// FSQ: z_e [B, P, dim] is projected to L heads of d = |levels| channels (when L·d ≠ dim), each channel bounded
/// and rounded to its levels, and projected back. Codes per position: one per head, in [0, Π levels).
/// Parameters: the projections only (<c>project_in</c>, <c>project_out</c>).
/// </summary>
public sealed class FiniteScalarQuantizer : nn.Module, IQuantizer
{
    /// <summary>ε of the bound: keeps tanh's image strictly inside the outermost rounding cells.</summary>
    public const double BoundEpsilon = 1e-3;

    private readonly TorchSharp.Modules.Linear? project_in;
    private readonly TorchSharp.Modules.Linear? project_out;

    private readonly int[] _levels;
    private readonly long[] _basis;     // Π_{j<i} L_j
    private readonly int _heads;

    /// <summary>FSQ with <paramref name="levels"/> per channel for each of <paramref name="heads"/> parts of vectors of <paramref name="dimension"/>.</summary>
    public FiniteScalarQuantizer(int dimension, int heads, IReadOnlyList<int> levels) : base(nameof(FiniteScalarQuantizer))
    {
        if (levels.Count == 0 || levels.Any(level => level < 2)) throw new ArgumentException($"FSQ needs at least one channel of 2 or more levels, not {string.Join(",", levels)}");
        _levels = levels.ToArray();
        _heads = heads;
        _basis = new long[_levels.Length];
        for (int i = 0; i < _levels.Length; i++) _basis[i] = i == 0 ? 1 : _basis[i - 1] * _levels[i - 1];
        Space = new CodeSpace(QuantizerKind.Fsq, heads, 1, checked((int)(_basis[^1] * _levels[^1])), _levels);
        if (heads * _levels.Length != dimension)
        {
            project_in = nn.Linear(dimension, heads * _levels.Length);
            project_out = nn.Linear(heads * _levels.Length, dimension);
        }
        RegisterComponents();
    }

    /// <summary>The FSQ paper's Table 1: recommended levels for a codebook of 2⁸, 2¹⁰, 2¹², 2¹⁴ or 2¹⁶ codes (the products are near those sizes).</summary>
    public static readonly IReadOnlyDictionary<int, int[]> RecommendedLevels = new Dictionary<int, int[]>
    {
        [1 << 8] = [8, 6, 5],
        [1 << 10] = [8, 5, 5, 5],
        [1 << 12] = [7, 5, 5, 5, 5],
        [1 << 14] = [8, 8, 8, 6, 5],
        [1 << 16] = [8, 8, 8, 5, 5, 5],
    };

    /// <summary>
    /// The levels for <paramref name="codebookSize"/> when none are given: Table 1's, and for 2⁹ = 512 (the
    /// VQ-VAE's default size, which Table 1 lacks) 8,8,8; null for any other size.
    /// </summary>
    public static int[]? DefaultLevels(int codebookSize) =>
        RecommendedLevels.TryGetValue(codebookSize, out var levels) ? levels : codebookSize == 1 << 9 ? [8, 8, 8] : null;

    /// <inheritdoc/>
    public CodeSpace Space { get; }

    /// <summary>The levels L_i of each channel.</summary>
    public IReadOnlyList<int> Levels => _levels;

    /// <inheritdoc/>
    public QuantizerOutput Quantize(Tensor z, bool learn)
    {
        var bounded = Bound(Project(z));                         // [B, P, L, d]
        var integers = bounded.detach().round();
        var rounded = bounded + (integers - bounded).detach();  // straight-through rounding
        var normalised = rounded / HalfWidths(z.device);
        return new QuantizerOutput(Unproject(normalised), IndexOf(integers), []);
    }

    /// <inheritdoc/>
    public Tensor Codes(Tensor z)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return IndexOf(Bound(Project(z)).round()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var digits = codes.unsqueeze(-1).div(Constant(_basis, codes.device), rounding_mode: RoundingMode.floor)
            .remainder(Constant(_levels.Select(level => (long)level).ToArray(), codes.device)); // [B, P, L] -> [B, P, L, d] in [0, L_i)
        var halfWidths = HalfWidths(codes.device);
        return Unproject((digits.to_type(ScalarType.Float32) - halfWidths) / halfWidths).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor EmbedPrefix(Tensor codes, int stages) =>
        stages == 1 ? Embed(codes) : throw new ArgumentOutOfRangeException(nameof(stages), "FSQ has one stage");

    /// <summary>f(z) per channel [.., d]: the bounded values whose rounding takes exactly L_i integer values.</summary>
    Tensor Bound(Tensor z)
    {
        var (shifts, halfLevels, offsets) = BoundConstants(_levels);
        return (z + Constant(shifts, z.device)).tanh() * Constant(halfLevels, z.device) - Constant(offsets, z.device);
    }

    /// <summary>The bound's constants per channel [d]: the shifts s_i, the scales h_i and the offsets o_i of f(z_i) = tanh(z_i + s_i)·h_i − o_i (the ONNX export uses the same).</summary>
    internal static (double[] Shifts, double[] HalfLevels, double[] Offsets) BoundConstants(IReadOnlyList<int> levels)
    {
        var halfLevels = levels.Select(level => (level - 1) * (1 - BoundEpsilon) / 2).ToArray();
        var offsets = levels.Select(level => level % 2 == 0 ? 0.5 : 0.0).ToArray();
        var shifts = offsets.Zip(halfLevels, (offset, half) => Math.Tan(offset / half)).ToArray();
        return (shifts, halfLevels, offsets);
    }

    /// <summary>Π_{j&lt;i} L_j per channel [d]: the place value of each channel's digit in a code.</summary>
    internal IReadOnlyList<long> Basis => _basis;

    /// <summary>Rounded bounded values [B, P, L, d] (integers ⌊−L_i/2⌋ … ⌊(L_i − 1)/2⌋) → mixed-radix codes [B, P, L].</summary>
    Tensor IndexOf(Tensor rounded)
    {
        var digits = (rounded + HalfWidths(rounded.device)).to_type(ScalarType.Int64); // [0, L_i)
        return (digits * Constant(_basis, rounded.device)).sum(-1);
    }

    /// <summary>⌊L_i/2⌋ per channel [d].</summary>
    Tensor HalfWidths(Device device) => Constant(_levels.Select(level => (double)(level / 2)).ToArray(), device);

    /// <summary>z [B, P, dim] → [B, P, L, d].</summary>
    Tensor Project(Tensor z)
    {
        var projected = project_in?.forward(z) ?? z;
        return projected.reshape(z.shape[0], z.shape[1], _heads, _levels.Length); // [B, P, L·d] -> [B, P, L, d]
    }

    /// <summary>[B, P, L, d] → [B, P, dim].</summary>
    Tensor Unproject(Tensor parts)
    {
        var flat = parts.reshape(parts.shape[0], parts.shape[1], _heads * _levels.Length); // [B, P, L, d] -> [B, P, L·d]
        return project_out?.forward(flat) ?? flat;
    }

    /// <summary>A float32 constant [n] (the levels' per-channel numbers) on <paramref name="device"/>.</summary>
    static Tensor Constant(double[] values, Device device) => tensor(values.Select(v => (float)v).ToArray(), device: device);

    static Tensor Constant(long[] values, Device device) => tensor(values, device: device);
}
