// Lookup-free quantization: Yu et al. 2023, "Language Model Beats Diffusion — Tokenizer is Key to Visual Generation"
// (MAGVIT-2), §3.1.
//   z is projected to d channels, each quantised to its sign, q_i = sign(z_i) ∈ {−1, 1}: the codebook {−1, 1}^d of
//   2^d codes is implicit, never stored or searched, and the code is Σ_i 2^i·1[z_i > 0]. The decoder reads
//   z + sg(q − z) (straight-through), the encoder is held near its codes by the commitment loss β‖z − sg(q)‖², and
//   the entropy penalty  w_s·E_z[H(p(·|z))] − w_b·H(E_z[p(·|z)])  makes each assignment confident (per-sample entropy
//   down) and the batch use the whole codebook (entropy of the average assignment up), with the soft assignment
//   p(c|z) ∝ exp(−‖z − c‖²/τ) over the codes c.
//   Because every code has ‖c‖² = d, p factorises over channels: p(c_i = 1 | z) = σ(4z_i/τ). So the per-sample
//   entropy is exactly Σ_i H(σ(4z_i/τ)), and no step ever forms the 2^d distances. The batch entropy of the average
//   assignment H(E_z[p(·|z)]) is computed exactly, over the whole codebook, as vector-quantize-pytorch's LFQ does: with
//   the bits cut into a low and a high half, p(c|z) = a(c_low|z)·b(c_high|z), so the batch's average over N vectors is
//   one matrix product per head, Aᵀ B / N of [N, 2^⌈d/2⌉] and [N, 2^⌊d/2⌋] — O(N·2^d) multiply-adds and O(N·2^(d/2))
//   memory instead of the N × 2^d softmax. (A sum of entropies over small groups of channels would cost O(N·d) but is
//   only an upper bound of it, which is at its maximum however correlated the groups' patterns are: it does not ask
//   for the whole codebook to be used.)

using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>The weights and temperature of LFQ's entropy penalty, and β of its commitment loss.</summary>
/// <param name="SampleEntropyWeight">w_s: weight of the mean per-sample entropy (pushed down).</param>
/// <param name="BatchEntropyWeight">w_b: weight of the entropy of the batch's average assignment (pushed up).</param>
/// <param name="Temperature">τ of the soft assignment p(c|z) ∝ exp(−‖z − c‖²/τ).</param>
/// <param name="Commitment">β of the commitment loss β‖z − sg(q)‖².</param>
public sealed record EntropyPenalty(double SampleEntropyWeight, double BatchEntropyWeight, double Temperature, double Commitment);

/// <summary>
/// LFQ: z_e [B, P, dim] is projected to L heads of d = log₂ K channels (when L·d ≠ dim), each channel replaced by
/// its sign, and projected back. Codes per position: one per head, in [0, 2^d). Parameters: the projections only.
/// </summary>
public sealed class LookupFreeQuantizer : nn.Module, IQuantizer
{
    private readonly TorchSharp.Modules.Linear? project_in;
    private readonly TorchSharp.Modules.Linear? project_out;

    private readonly int _heads, _bits;
    private readonly EntropyPenalty _penalty;

    /// <summary>LFQ with <paramref name="bits"/> channels (2^bits codes) per head for vectors of <paramref name="dimension"/>.</summary>
    public LookupFreeQuantizer(int dimension, int heads, int bits, EntropyPenalty penalty) : base(nameof(LookupFreeQuantizer))
    {
        if (bits is < 1 or > 30) throw new ArgumentException($"LFQ takes 1 to 30 channels per head, not {bits}");
        (_heads, _bits, _penalty) = (heads, bits, penalty);
        Space = new CodeSpace(QuantizerKind.Lfq, heads, 1, 1 << bits);
        if (heads * bits != dimension)
        {
            project_in = nn.Linear(dimension, heads * bits);
            project_out = nn.Linear(heads * bits, dimension);
        }
        RegisterComponents();
    }

    /// <inheritdoc/>
    public CodeSpace Space { get; }

    /// <inheritdoc/>
    public QuantizerOutput Quantize(Tensor z, bool learn)
    {
        var projected = Project(z);                                   // [B, P, L, d]
        var signs = Signs(projected.detach());
        var passed = projected + (signs - projected).detach();         // straight-through
        var commitment = nn.functional.mse_loss(projected, signs) * _penalty.Commitment;
        var (sampleEntropy, batchEntropy) = Entropies(projected);
        (MetricKey, Tensor)[] terms =
        [
            (QuantizerTerms.Commitment, commitment),
            (QuantizerTerms.SampleEntropy, sampleEntropy * _penalty.SampleEntropyWeight),
            (QuantizerTerms.BatchEntropy, batchEntropy * -_penalty.BatchEntropyWeight),
        ];
        return new QuantizerOutput(Unproject(passed), IndexOf(signs), terms);
    }

    /// <inheritdoc/>
    public Tensor Codes(Tensor z)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return IndexOf(Signs(Project(z))).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var powers = tensor(Enumerable.Range(0, _bits).Select(bit => 1L << bit).ToArray(), device: codes.device);
        var set = codes.unsqueeze(-1).bitwise_and(powers).gt(0);      // [B, P, L] -> [B, P, L, d]
        return Unproject(set.to_type(ScalarType.Float32) * 2 - 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor EmbedPrefix(Tensor codes, int stages) =>
        stages == 1 ? Embed(codes) : throw new ArgumentOutOfRangeException(nameof(stages), "LFQ has one stage");

    /// <summary>
    /// The mean per-sample entropy E_z[H(p(·|z))] and the entropy of the average assignment H(E_z[p(·|z)]), in nats,
    /// averaged over heads, from z [B, P, L, d].
    /// </summary>
    internal (Tensor Sample, Tensor Batch) Entropies(Tensor projected)
    {
        var logits = projected.reshape(-1, _heads, _bits) * (4 / _penalty.Temperature); // [N, L, d]: p(c_i = 1) = σ(logit)
        var (logOne, logMinusOne) = (nn.functional.logsigmoid(logits), nn.functional.logsigmoid(-logits));
        var one = logOne.exp();
        var sample = -(one * logOne + (1 - one) * logMinusOne).sum(-1).mean();   // Σ_i H(p_i), mean over vectors and heads
        // p(c | z) = a(c_low | z)·b(c_high | z): the average over the batch is Aᵀ B / N per head
        int low = (_bits + 1) / 2, high = _bits - low;
        var lowPatterns = PatternProbabilities(logOne, logMinusOne, 0, low);                                // [N, L, 2^low]
        var highPatterns = high == 0 ? ones_like(lowPatterns.narrow(2, 0, 1)) : PatternProbabilities(logOne, logMinusOne, low, high); // [N, L, 2^high]
        // [L, 2^low, N] x [L, N, 2^high] -> [L, 2^low, 2^high]
        var average = lowPatterns.permute(1, 2, 0).bmm(highPatterns.permute(1, 0, 2)) / logits.shape[0];
        var batch = -(average * average.clamp_min(1e-30).log()).sum([1, 2]).mean();
        return (sample, batch);
    }

    /// <summary>
    /// p(pattern | z) of the 2^count patterns b of channels first … first + count − 1, from log p(c_i = ±1 | z) [N, L, d]:
    /// exp Σ_i b_i·log p_i + (1 − b_i)·log(1 − p_i), as one product → [N, L, 2^count]. Pattern k sets channel first + i to bit i of k.
    /// </summary>
    static Tensor PatternProbabilities(Tensor logOne, Tensor logMinusOne, int first, int count)
    {
        var patterns = Patterns(count, logOne.device); // [2^count, count]
        return (logOne.narrow(2, first, count).matmul(patterns.t()) + logMinusOne.narrow(2, first, count).matmul((1 - patterns).t())).exp();
    }

    /// <summary>Every pattern of <paramref name="count"/> bits as rows of 0/1 [2^count, count], bit i of pattern k in column i.</summary>
    static Tensor Patterns(int count, Device device) =>
        arange(1 << count, ScalarType.Int64, device).unsqueeze(1)
            .bitwise_and(tensor(Enumerable.Range(0, count).Select(bit => 1L << bit).ToArray(), device: device))
            .gt(0).to_type(ScalarType.Float32);

    /// <summary>The code values ±1 (0 counts as −1: a code is 1 where z_i &gt; 0).</summary>
    static Tensor Signs(Tensor projected) => projected.gt(0).to_type(ScalarType.Float32) * 2 - 1;

    /// <summary>Signs [B, P, L, d] → codes Σ_i 2^i·1[z_i &gt; 0] [B, P, L].</summary>
    Tensor IndexOf(Tensor signs)
    {
        var powers = tensor(Enumerable.Range(0, _bits).Select(bit => 1L << bit).ToArray(), device: signs.device);
        return (signs.gt(0).to_type(ScalarType.Int64) * powers).sum(-1);
    }

    /// <summary>z [B, P, dim] → [B, P, L, d].</summary>
    Tensor Project(Tensor z)
    {
        var projected = project_in?.forward(z) ?? z;
        return projected.reshape(z.shape[0], z.shape[1], _heads, _bits); // [B, P, L·d] -> [B, P, L, d]
    }

    /// <summary>[B, P, L, d] → [B, P, dim].</summary>
    Tensor Unproject(Tensor parts)
    {
        var flat = parts.reshape(parts.shape[0], parts.shape[1], _heads * _bits); // [B, P, L, d] -> [B, P, L·d]
        return project_out?.forward(flat) ?? flat;
    }
}
