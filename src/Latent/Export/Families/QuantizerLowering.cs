// Every quantizer behind IQuantizer as ONNX operators: z_e [B, P, dim] → codes int64 [B, P, C] for the encoder
// graph, and codes → z_q [B, P, dim] for the decoder graph, each mirroring the quantizer's Codes and Embed step by step.
//   vq  (van den Oord et al. 2017, §3.1): per head the code k = argminⱼ ‖z − eⱼ‖² = argminⱼ (‖eⱼ‖² − 2 z·eⱼ), since ‖z‖²
//       is the same for every code: one MatMul against the codebook and an ArgMin; decoding is a Gather. Cosine codes
//       (ViT-VQGAN) export their l2-normalised codebook: with ‖eⱼ‖ = 1 that argmin is the cosine similarity's argmax,
//       z's own norm scaling every score alike.
//   rvq (Zeghidour et al. 2021, Algorithm 1): the same search on successive residuals r_{i+1} = r_i − q_i, stage by
//       stage; decoding sums the looked-up codes of every stage, in stage order.
//   fsq (Mentzer et al. 2023, §3.1 and appendix A.1): f(z_i) = tanh(z_i + s_i)·h_i − o_i, rounded, shifted by ⌊L_i/2⌋
//       into a digit in [0, L_i) and summed with the place values Π_{j<i} L_j. ONNX's Round rounds half to even, as
//       torch.round does, so both give the same integer even at a tie. Decoding takes the digits back out with integer
//       Div and Mod (codes are never negative, so truncating division is floor division) and maps digit a to (a − ⌊L/2⌋)/⌊L/2⌋.
//   lfq (Yu et al. 2023, §3.1): bit i of the code is 1[z_i > 0] (Greater, as the model's gt(0): 0 counts as −1);
//       decoding takes bit i as ⌊code / 2^i⌋ mod 2 (opset 17 has no BitwiseAnd) and maps it to ±1.
// Projections (project_in, project_out) are lowered as the Linear layers they are.

using Latent.Models;
using Latent.Models.VectorQuantized;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>One quantizer's two halves as ONNX: the codes of z_e, and the vectors codes stand for.</summary>
internal abstract class QuantizerLowering
{
    /// <summary>The state-dict prefix of the quantizer's tensors.</summary>
    protected const string Prefix = "quantizer";

    /// <summary>z_e [B, P, dim] → codes int64 [B, P, C]; returns the codes' value name.</summary>
    public abstract string Codes(OnnxGraph graph, string continuous);

    /// <summary>Codes int64 [B, P, C] → z_q [B, P, dim], as the decoder reads it; returns its value name.</summary>
    public abstract string Embed(OnnxGraph graph, string codes);

    /// <summary>The lowering of <paramref name="quantizer"/> (a module of a VQ-VAE, <c>quantizer</c> in its state dict).</summary>
    public static QuantizerLowering For(nn.Module quantizer) => quantizer switch
    {
        VectorQuantizer vq => new NearestCode(vq),
        ResidualQuantizer rvq => new Residual(rvq),
        FiniteScalarQuantizer fsq => new FiniteScalar(fsq),
        LookupFreeQuantizer lfq => new LookupFree(lfq),
        _ => throw NnLowering.Unsupported(quantizer, Prefix, "a quantizer without an ONNX lowering"),
    };

    /// <summary>z [B, P, dim] → [B, P, L, width], through <c>project_in</c> where the quantizer has one.</summary>
    protected static string Project(OnnxGraph graph, nn.Module quantizer, string z, int heads, int width)
    {
        var projected = Optional(quantizer, "project_in") is { } projectIn ? NnLowering.Lower(graph, projectIn, z, $"{Prefix}.project_in") : z;
        // [B, P, L·width] -> [B, P, L, width]
        return graph.Node("Reshape", [projected, graph.Longs(0, 0, heads, width)], $"{Prefix}.heads");
    }

    /// <summary>[B, P, L, width] → [B, P, dim], through <c>project_out</c> where the quantizer has one.</summary>
    protected static string Unproject(OnnxGraph graph, nn.Module quantizer, string parts, int heads, int width)
    {
        // [B, P, L, width] -> [B, P, L·width]
        var flat = graph.Node("Reshape", [parts, graph.Longs(0, 0, (long)heads * width)], $"{Prefix}.joined");
        return Optional(quantizer, "project_out") is { } projectOut ? NnLowering.Lower(graph, projectOut, flat, $"{Prefix}.project_out") : flat;
    }

    /// <summary>Head <paramref name="head"/> of [B, P, L, width] → [B, P, width].</summary>
    protected static string Head(OnnxGraph graph, string parts, int head, string name) =>
        graph.Node("Squeeze", [graph.Node("Slice", [parts, graph.Longs(head), graph.Longs(head + 1), graph.Longs(2)], $"{name}.slice"), graph.Longs(2)], name);

    /// <summary>Code <paramref name="index"/> of codes [B, P, C] → [B, P].</summary>
    protected static string CodeAt(OnnxGraph graph, string codes, int index, string name) => Head(graph, codes, index, name);

    /// <summary>A float32 constant [n] named <paramref name="name"/>.</summary>
    protected static string Floats(OnnxGraph graph, string name, IEnumerable<double> values)
    {
        using var constant = tensor(values.Select(value => (float)value).ToArray());
        return graph.Initializer(name, constant);
    }

    /// <summary>
    /// The nearest code of <paramref name="vectors"/> [B, P, D] in <paramref name="codebook"/> (state-dict prefix
    /// <paramref name="key"/>): argminⱼ ‖eⱼ‖² − 2 z·eⱼ → [B, P] int64.
    /// </summary>
    protected static string Nearest(OnnxGraph graph, string vectors, Codebook codebook, string key)
    {
        using var embedding = codebook.Codes.detach();
        using var squaredNorms = embedding.square().sum(1);
        var transposed = graph.Node("Transpose", [graph.Initializer($"{key}.embed", embedding)], $"{key}.embed_t", OnnxGraph.Ints("perm", 1, 0));
        var products = graph.Node("MatMul", [vectors, transposed], $"{key}.dot");                        // [B, P, K]
        var scores = graph.Node("Add", [graph.Node("Mul", [products, graph.Scalar(-2f)], $"{key}.minus_two_dot"), graph.Initializer($"{key}.squared_norms", squaredNorms)], $"{key}.distance");
        return graph.Node("ArgMin", [scores], $"{key}.code", OnnxGraph.Int("axis", -1), OnnxGraph.Int("keepdims", 0));
    }

    /// <summary>The code vectors of <paramref name="index"/> [B, P] in <paramref name="codebook"/> → [B, P, D].</summary>
    protected static string Lookup(OnnxGraph graph, string index, Codebook codebook, string key)
    {
        using var embedding = codebook.Codes.detach();
        return graph.Node("Gather", [graph.Initializer($"{key}.embed", embedding), index], $"{key}.vector", OnnxGraph.Int("axis", 0));
    }

    /// <summary>[B, P] per code → [B, P, C].</summary>
    protected static string Stack(OnnxGraph graph, IReadOnlyList<string> parts, string name)
    {
        var unsqueezed = parts.Select(part => graph.Node("Unsqueeze", [part, graph.Longs(2)], $"{name}.part")).ToList();
        return unsqueezed.Count == 1 ? unsqueezed[0] : graph.Node("Concat", unsqueezed, name, OnnxGraph.Int("axis", 2));
    }

    static nn.Module? Optional(nn.Module module, string name) =>
        module.named_children().FirstOrDefault(child => child.name == name).module;

    /// <summary>Learned codebooks, one per head.</summary>
    sealed class NearestCode(VectorQuantizer quantizer) : QuantizerLowering
    {
        public override string Codes(OnnxGraph graph, string continuous)
        {
            var parts = Project(graph, quantizer, continuous, quantizer.Heads, quantizer.CodeDimension);
            var chosen = Enumerable.Range(0, quantizer.Heads)
                .Select(head => Nearest(graph, Head(graph, parts, head, $"{Prefix}.codebooks.{head}.vectors"), quantizer.Codebooks[head], $"{Prefix}.codebooks.{head}"))
                .ToList();
            return Stack(graph, chosen, "codes.heads");
        }

        public override string Embed(OnnxGraph graph, string codes)
        {
            var looked = Enumerable.Range(0, quantizer.Heads)
                .Select(head => Lookup(graph, CodeAt(graph, codes, head, $"{Prefix}.codebooks.{head}.index"), quantizer.Codebooks[head], $"{Prefix}.codebooks.{head}"))
                .ToList();
            // [B, P, D] per head -> [B, P, L·D]
            var joined = looked.Count == 1 ? looked[0] : graph.Node("Concat", looked, "z_q.heads", OnnxGraph.Int("axis", 2));
            return Optional(quantizer, "project_out") is { } projectOut ? NnLowering.Lower(graph, projectOut, joined, $"{Prefix}.project_out") : joined;
        }
    }

    /// <summary>Residual stages of learned codebooks; code s·L + h is stage s, head h.</summary>
    sealed class Residual(ResidualQuantizer quantizer) : QuantizerLowering
    {
        readonly int _heads = quantizer.Space.Heads, _stages = quantizer.Space.Stages, _dimension = quantizer.CodebookOf(0, 0).Dimension;

        /// <summary>The state-dict prefix of a stage's codebook: a shared codebook is one tensor, whichever stage reads it.</summary>
        string Key(int stage, int head)
        {
            var codebook = quantizer.CodebookOf(stage, head);
            var list = (IEnumerable<Codebook>)NnLowering.Child(quantizer, "codebooks");
            int index = list.Select((candidate, position) => (candidate, position)).First(pair => ReferenceEquals(pair.candidate, codebook)).position;
            return $"{Prefix}.codebooks.{index}";
        }

        public override string Codes(OnnxGraph graph, string continuous)
        {
            var parts = Project(graph, quantizer, continuous, _heads, _dimension);
            var residuals = Enumerable.Range(0, _heads).Select(head => Head(graph, parts, head, $"{Prefix}.residual.0.{head}")).ToArray();
            var chosen = new List<string>();
            for (int stage = 0; stage < _stages; stage++)
                for (int head = 0; head < _heads; head++)
                {
                    var key = Key(stage, head);
                    var code = Nearest(graph, residuals[head], quantizer.CodebookOf(stage, head), key);
                    chosen.Add(code);
                    // r_{s+1} = r_s − q_s
                    if (stage + 1 < _stages)
                        residuals[head] = graph.Node("Sub", [residuals[head], Lookup(graph, code, quantizer.CodebookOf(stage, head), key)], $"{Prefix}.residual.{stage + 1}.{head}");
                }
            return Stack(graph, chosen, "codes.stages");
        }

        public override string Embed(OnnxGraph graph, string codes)
        {
            var sums = new string[_heads];
            for (int stage = 0; stage < _stages; stage++)
                for (int head = 0; head < _heads; head++)
                {
                    var key = Key(stage, head);
                    var vector = Lookup(graph, CodeAt(graph, codes, stage * _heads + head, $"{Prefix}.stage.{stage}.{head}.index"), quantizer.CodebookOf(stage, head), key);
                    sums[head] = stage == 0 ? vector : graph.Node("Add", [sums[head], vector], $"{Prefix}.sum.{stage}.{head}");
                }
            // [B, P, D] per head -> [B, P, L, D]
            var parts = graph.Node("Concat", sums.Select(sum => graph.Node("Unsqueeze", [sum, graph.Longs(2)], $"{Prefix}.sum.head")).ToList(), $"{Prefix}.sums", OnnxGraph.Int("axis", 2));
            return Unproject(graph, quantizer, parts, _heads, _dimension);
        }
    }

    /// <summary>FSQ: every channel bounded and rounded to its levels; the code of a head is its mixed-radix number.</summary>
    sealed class FiniteScalar(FiniteScalarQuantizer quantizer) : QuantizerLowering
    {
        readonly int _heads = quantizer.Space.Heads, _channels = quantizer.Levels.Count;

        IEnumerable<double> HalfWidths => quantizer.Levels.Select(level => (double)(level / 2));

        public override string Codes(OnnxGraph graph, string continuous)
        {
            var parts = Project(graph, quantizer, continuous, _heads, _channels); // [B, P, L, d]
            var (shifts, halfLevels, offsets) = FiniteScalarQuantizer.BoundConstants(quantizer.Levels);
            var tanh = graph.Node("Tanh", [graph.Node("Add", [parts, Floats(graph, $"{Prefix}.bound.shifts", shifts)], $"{Prefix}.shifted")], $"{Prefix}.tanh");
            var bounded = graph.Node("Sub", [graph.Node("Mul", [tanh, Floats(graph, $"{Prefix}.bound.half_levels", halfLevels)], $"{Prefix}.scaled")
                                             , Floats(graph, $"{Prefix}.bound.offsets", offsets)], $"{Prefix}.bounded");
            var rounded = graph.Node("Round", [bounded], $"{Prefix}.rounded");
            // integers ⌊−L_i/2⌋ … ⌊(L_i − 1)/2⌋ -> digits in [0, L_i)
            var digits = graph.Node("Cast", [graph.Node("Add", [rounded, Floats(graph, $"{Prefix}.half_widths", HalfWidths)], $"{Prefix}.digits.float")],
                                    $"{Prefix}.digits", OnnxGraph.Int("to", (long)ElementType.Int64));
            // [B, P, L, d] -> [B, P, L]: Σ_i digit_i·Π_{j<i} L_j
            var placed = graph.Node("Mul", [digits, graph.Longs([.. quantizer.Basis])], $"{Prefix}.placed");
            return graph.Node("ReduceSum", [placed, graph.Longs(-1)], "codes.mixed_radix", OnnxGraph.Int("keepdims", 0));
        }

        public override string Embed(OnnxGraph graph, string codes)
        {
            // [B, P, L] -> [B, P, L, 1] -> digits [B, P, L, d]: ⌊code / Π_{j<i} L_j⌋ mod L_i
            var column = graph.Node("Unsqueeze", [codes, graph.Longs(-1)], $"{Prefix}.codes.column");
            var shifted = graph.Node("Div", [column, graph.Longs([.. quantizer.Basis])], $"{Prefix}.codes.shifted");
            var digits = graph.Node("Mod", [shifted, graph.Longs([.. quantizer.Levels.Select(level => (long)level)])], $"{Prefix}.digits");
            var halfWidths = Floats(graph, $"{Prefix}.half_widths", HalfWidths);
            var centred = graph.Node("Sub", [graph.Node("Cast", [digits], $"{Prefix}.digits.float", OnnxGraph.Int("to", (long)ElementType.Float32)), halfWidths], $"{Prefix}.centred");
            var values = graph.Node("Div", [centred, halfWidths], $"{Prefix}.values");
            return Unproject(graph, quantizer, values, _heads, _channels);
        }
    }

    /// <summary>LFQ: bit i of a head's code is the sign of its channel i.</summary>
    sealed class LookupFree(LookupFreeQuantizer quantizer) : QuantizerLowering
    {
        readonly int _heads = quantizer.Space.Heads, _bits = quantizer.Space.BitsPerCode;

        long[] Powers => Enumerable.Range(0, _bits).Select(bit => 1L << bit).ToArray();

        public override string Codes(OnnxGraph graph, string continuous)
        {
            var parts = Project(graph, quantizer, continuous, _heads, _bits); // [B, P, L, d]
            var positive = graph.Node("Greater", [parts, graph.Scalar(0f)], $"{Prefix}.positive");
            var bits = graph.Node("Cast", [positive], $"{Prefix}.bits", OnnxGraph.Int("to", (long)ElementType.Int64));
            // [B, P, L, d] -> [B, P, L]: Σ_i 2^i·1[z_i > 0]
            var placed = graph.Node("Mul", [bits, graph.Longs(Powers)], $"{Prefix}.placed");
            return graph.Node("ReduceSum", [placed, graph.Longs(-1)], "codes.binary", OnnxGraph.Int("keepdims", 0));
        }

        public override string Embed(OnnxGraph graph, string codes)
        {
            // [B, P, L] -> [B, P, L, 1] -> bits [B, P, L, d]: ⌊code / 2^i⌋ mod 2
            var column = graph.Node("Unsqueeze", [codes, graph.Longs(-1)], $"{Prefix}.codes.column");
            var bits = graph.Node("Mod", [graph.Node("Div", [column, graph.Longs(Powers)], $"{Prefix}.codes.shifted"), graph.Longs(2)], $"{Prefix}.bits");
            var signs = graph.Node("Sub", [graph.Node("Mul", [graph.Node("Cast", [bits], $"{Prefix}.bits.float", OnnxGraph.Int("to", (long)ElementType.Float32)), graph.Scalar(2f)], $"{Prefix}.twice"),
                                           graph.Scalar(1f)], $"{Prefix}.signs");
            return Unproject(graph, quantizer, signs, _heads, _bits);
        }
    }
}
