// Residual vector quantization: Zeghidour, Luebs, Omran, Skoglund & Tagliasacchi 2021, "SoundStream: An End-to-End
// Neural Audio Codec", §3.3 and its Algorithm 1:
//   ŷ = 0; r_1 = y;  for i = 1 … N_q:  q_i = Q_i(r_i),  ŷ ← ŷ + q_i,  r_{i+1} = r_i − q_i,
//   each Q_i the nearest code of its own learned codebook (or one codebook shared by every stage), learned by EMA with
//   k-means initialisation and restarts of dead codes, as SoundStream's are.
//   Quantizer dropout (§3.3): for a training example, n_q is drawn uniformly from 1 … N_q and only Q_1 … Q_{n_q} are
//   used, so that the first k stages decode on their own (one model, every bitrate).
//   Each stage has the commitment loss of its own residual, β‖r_i − sg(q_i)‖² (and the codebook loss without EMA),
//   summed over stages as vector-quantize-pytorch's ResidualVQ does; the decoder reads y + sg(ŷ − y) (or the rotation
//   trick of ŷ), and the codes of a position are laid out stage by stage, coarse first.

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>How a residual quantizer is built, beyond its codebooks' <see cref="CodebookTraining"/>.</summary>
/// <param name="Stages">N_q, quantizers applied to successive residuals.</param>
/// <param name="SharedCodebook">One codebook (per head) for every stage instead of one per stage.</param>
/// <param name="Dropout">Fraction of training examples quantised with a random number of stages 1 … N_q.</param>
/// <param name="Commitment">β of every stage's commitment loss.</param>
/// <param name="Gradient">How the decoder's gradient passes the quantisation of the whole sum.</param>
public sealed record ResidualStages(int Stages, bool SharedCodebook, double Dropout, double Commitment, GradientEstimator Gradient);

/// <summary>
/// RVQ: z_e [B, P, dim] optionally projected to L heads of D, each head quantised by N_q stages of learned codes on
/// its successive residuals, the sum projected back. Codes per position: N_q·L, code s·L + h for stage s and head h;
/// state dict: <c>codebooks.{s·L + h}.*</c> (<c>codebooks.{h}.*</c> when shared), <c>project_in</c>, <c>project_out</c>.
/// </summary>
public sealed class ResidualQuantizer : nn.Module, IQuantizer
{
    private readonly ModuleList<Codebook> codebooks;
    private readonly TorchSharp.Modules.Linear? project_in;
    private readonly TorchSharp.Modules.Linear? project_out;

    private readonly int _heads, _codeDimension;
    private readonly ResidualStages _stages;
    private readonly bool _ema;

    /// <summary>N_q stages of L codebooks of K codes of dimension D, for vectors of <paramref name="dimension"/>.</summary>
    public ResidualQuantizer(int dimension, int heads, int codebookSize, int codeDimension, CodebookTraining training, ResidualStages stages)
        : base(nameof(ResidualQuantizer))
    {
        if (stages.Stages < 1) throw new ArgumentException($"a residual quantizer needs a stage, not {stages.Stages}");
        if (training.Cosine) throw new ArgumentException("cosine codes have no residuals: a residual quantizer needs Euclidean codes");
        (_heads, _codeDimension, _stages, _ema) = (heads, codeDimension, stages, training.Ema);
        Space = new CodeSpace(QuantizerKind.Rvq, heads, stages.Stages, codebookSize);
        int count = (stages.SharedCodebook ? 1 : stages.Stages) * heads;
        codebooks = nn.ModuleList(Enumerable.Range(0, count).Select(_ => new Codebook(codebookSize, codeDimension, training)).ToArray());
        if (heads * codeDimension != dimension)
        {
            project_in = nn.Linear(dimension, heads * codeDimension);
            project_out = nn.Linear(heads * codeDimension, dimension);
        }
        RegisterComponents();
    }

    /// <inheritdoc/>
    public CodeSpace Space { get; }

    /// <summary>The codebook of stage <paramref name="stage"/> and head <paramref name="head"/>.</summary>
    public Codebook CodebookOf(int stage, int head) => codebooks[(_stages.SharedCodebook ? 0 : stage) * _heads + head];

    /// <inheritdoc/>
    public QuantizerOutput Quantize(Tensor z, bool learn)
    {
        var parts = Project(z);                                    // [B, P, L, D]
        var (batch, positions) = (z.shape[0], z.shape[1]);
        var active = learn && _stages.Dropout > 0 ? ActiveStages(batch, z.device) : null; // [B, S] 0/1, or all
        var residual = parts;
        var total = zeros_like(parts);
        var codes = new Tensor[_stages.Stages];
        var learning = new List<(Codebook Codebook, Tensor Vectors, Tensor Codes)>();
        Tensor codebookLoss = zeros(1, device: z.device).squeeze(), commitmentLoss = zeros(1, device: z.device).squeeze();
        for (int stage = 0; stage < _stages.Stages; stage++)
        {
            var stageCodes = new Tensor[_heads];
            var quantized = new Tensor[_heads];
            for (int head = 0; head < _heads; head++)
            {
                var codebook = CodebookOf(stage, head);
                using var vectors = residual.select(2, head).detach().reshape(-1, _codeDimension); // [B·P, D]
                if (learn) codebook.InitialiseIfNeeded(vectors);
                stageCodes[head] = codebook.Nearest(vectors);
                quantized[head] = codebook.Lookup(stageCodes[head]).reshape(batch, positions, _codeDimension);
                if (learn) learning.Add((codebook, vectors.contiguous(), stageCodes[head]));
            }
            codes[stage] = stack(stageCodes, 1).reshape(batch, positions, _heads); // [B·P, L] -> [B, P, L]
            var q = stack(quantized, 2);                                           // [B, P, L, D]
            // Only the stages an example keeps count for it: its decoder input and its losses.
            var weight = active?.narrow(1, stage, 1).reshape(batch, 1, 1, 1);
            codebookLoss = codebookLoss + MaskedMean((q - residual.detach()).square(), weight);
            commitmentLoss = commitmentLoss + MaskedMean((residual - q.detach()).square(), weight);
            total = total + (weight is null ? q.detach() : q.detach() * weight);
            residual = residual - q.detach();
        }
        if (learn) Learn(learning);
        var passed = GradientPass.Apply(_stages.Gradient, parts, total);
        var commitment = commitmentLoss * _stages.Commitment;
        (MetricKey, Tensor)[] terms = _ema ? [(QuantizerTerms.Commitment, commitment)] : [(QuantizerTerms.Codebook, codebookLoss), (QuantizerTerms.Commitment, commitment)];
        return new QuantizerOutput(Unproject(passed), cat(codes, 2), terms);
    }

    /// <inheritdoc/>
    public Tensor Codes(Tensor z)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var residual = Project(z);
        var (batch, positions) = (z.shape[0], z.shape[1]);
        var codes = new Tensor[_stages.Stages];
        for (int stage = 0; stage < _stages.Stages; stage++)
        {
            var stageCodes = new Tensor[_heads];
            var quantized = new Tensor[_heads];
            for (int head = 0; head < _heads; head++)
            {
                var vectors = residual.select(2, head).reshape(-1, _codeDimension);
                stageCodes[head] = CodebookOf(stage, head).Nearest(vectors);
                quantized[head] = CodebookOf(stage, head).Lookup(stageCodes[head]).reshape(batch, positions, _codeDimension);
            }
            codes[stage] = stack(stageCodes, 1).reshape(batch, positions, _heads);
            residual = residual - stack(quantized, 2);
        }
        return cat(codes, 2).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Embed(Tensor codes) => EmbedPrefix(codes, _stages.Stages);

    /// <inheritdoc/>
    public Tensor EmbedPrefix(Tensor codes, int stages)
    {
        if (stages < 1 || stages > _stages.Stages)
            throw new ArgumentOutOfRangeException(nameof(stages), $"this residual quantizer has stages 1 to {_stages.Stages}, not {stages}");
        using var scope = NewDisposeScope();
        var (batch, positions) = (codes.shape[0], codes.shape[1]);
        Tensor? sum = null;
        for (int stage = 0; stage < stages; stage++)
        {
            var parts = Enumerable.Range(0, _heads)
                .Select(head => CodebookOf(stage, head).Lookup(codes.select(2, stage * _heads + head).reshape(-1)).reshape(batch, positions, _codeDimension))
                .ToArray();
            var q = stack(parts, 2); // [B, P, L, D]
            sum = sum is null ? q : sum + q;
        }
        return Unproject(sum!).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Quantizer dropout: per example, 1 for the stages it uses [B, S]: all of them, or (for a fraction
    /// <see cref="ResidualStages.Dropout"/> of the examples) the first n_q ~ U{1 … N_q}. Drawn from torch's global generator.
    /// </summary>
    Tensor ActiveStages(long batch, Device device)
    {
        using var scope = NewDisposeScope();
        var dropped = rand(batch, device: device).lt(_stages.Dropout);
        var kept = where(dropped, randint(1, _stages.Stages + 1, [batch], device: device), full(batch, _stages.Stages, ScalarType.Int64, device)); // n_q
        var stage = arange(_stages.Stages, ScalarType.Int64, device).unsqueeze(0);                        // [1, S]
        return stage.lt(kept.unsqueeze(1)).to_type(ScalarType.Float32).MoveToOuterDisposeScope();         // [B, S]
    }

    /// <summary>Mean of <paramref name="squares"/> [B, P, L, D] over the examples whose <paramref name="weight"/> [B, 1, 1, 1] is 1 (all without one); 0 if none.</summary>
    static Tensor MaskedMean(Tensor squares, Tensor? weight)
    {
        if (weight is null) return squares.mean();
        var elements = weight.sum() * (squares.numel() / squares.shape[0]);
        return (squares * weight).sum() / elements.clamp_min(1);
    }

    /// <summary>Every codebook learns once per step from all the residuals it quantised (a shared one from every stage's).</summary>
    static void Learn(List<(Codebook Codebook, Tensor Vectors, Tensor Codes)> learning)
    {
        foreach (var group in learning.GroupBy(entry => entry.Codebook))
        {
            var entries = group.ToArray();
            if (entries.Length == 1) group.Key.Learn(entries[0].Vectors, entries[0].Codes);
            else
            {
                using var vectors = cat(entries.Select(entry => entry.Vectors).ToArray(), 0);
                using var codes = cat(entries.Select(entry => entry.Codes).ToArray(), 0);
                group.Key.Learn(vectors, codes);
            }
        }
    }

    /// <summary>z [B, P, dim] → [B, P, L, D].</summary>
    Tensor Project(Tensor z)
    {
        var projected = project_in?.forward(z) ?? z;
        return projected.reshape(z.shape[0], z.shape[1], _heads, _codeDimension); // [B, P, L·D] -> [B, P, L, D]
    }

    /// <summary>[B, P, L, D] → [B, P, dim].</summary>
    Tensor Unproject(Tensor parts)
    {
        var flat = parts.reshape(parts.shape[0], parts.shape[1], _heads * _codeDimension); // [B, P, L, D] -> [B, P, L·D]
        return project_out?.forward(flat) ?? flat;
    }
}
