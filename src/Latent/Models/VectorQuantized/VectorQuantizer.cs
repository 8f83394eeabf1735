// Vector quantisation with the straight-through estimator, and multi-head (product) quantisation.
//   van den Oord, Vinyals & Kavukcuoglu 2017, "Neural Discrete Representation Learning", eq. (3):
//     L = log p(x | z_q(x)) + ‖sg[z_e(x)] − e‖² + β‖z_e(x) − sg[e]‖², with the decoder's gradient copied
//     from z_q to z_e (straight-through, Bengio et al. 2013).
//   Multi-head quantisation: z_e is cut into L parts, each quantised against its own codebook, K^L
//     combinations (product quantisation, Jégou et al. 2011; vector-quantize-pytorch's heads with
//     separate_codebook_per_head, and its project_in / project_out when the code dimension differs).
//   Cosine codes (Yu et al. 2022, ViT-VQGAN, §3.2): z_e and the codes are l2-normalised before the search, so the
//     quantised vector is the unit code most similar in direction; the losses compare the normalised vectors.
//   The gradient passes by the straight-through estimator or by the rotation trick (GradientEstimator.cs).

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>What quantising a batch of vectors gives.</summary>
/// <param name="Output">z_e + sg(z_q − z_e) [N, dim]: the value of z_q, the gradient of z_e.</param>
/// <param name="Codes">The chosen code of every head [N, L] (int64).</param>
/// <param name="CodebookLoss">‖z_q − sg(z_e)‖², mean per element: moves the codes (no gradient under EMA).</param>
/// <param name="CommitmentLoss">‖z_e − sg(z_q)‖², mean per element, before β: keeps the encoder near its codes.</param>
public sealed record Quantized(Tensor Output, Tensor Codes, Tensor CodebookLoss, Tensor CommitmentLoss);

/// <summary>
/// Quantises vectors of dimension dim: optionally projected to L·D, cut into L heads of D, each
/// replaced by the nearest code of its own <see cref="Codebook"/>, then projected back.
/// </summary>
public sealed class VectorQuantizer : nn.Module<Tensor, Tensor>, IQuantizer
{
    private readonly ModuleList<Codebook> codebooks;
    private readonly TorchSharp.Modules.Linear? project_in;
    private readonly TorchSharp.Modules.Linear? project_out;

    private readonly bool _cosine;
    private readonly bool _ema;
    private readonly double _commitment;
    private readonly GradientEstimator _gradient;

    /// <summary>
    /// L codebooks of K codes of dimension D for vectors of <paramref name="dimension"/>; β = <paramref name="commitment"/>
    /// weighs the commitment term of <see cref="IQuantizer.Quantize"/>, and <paramref name="gradient"/> is how the
    /// decoder's gradient reaches z_e.
    /// </summary>
    public VectorQuantizer(int dimension, int heads, int codebookSize, int codeDimension, CodebookTraining training,
                           double commitment = 0.25, GradientEstimator gradient = GradientEstimator.Ste)
        : base(nameof(VectorQuantizer))
    {
        Heads = heads;
        CodeDimension = codeDimension;
        Space = new CodeSpace(QuantizerKind.Vq, heads, 1, codebookSize);
        (_cosine, _ema, _commitment, _gradient) = (training.Cosine, training.Ema, commitment, gradient);
        codebooks = nn.ModuleList(Enumerable.Range(0, heads).Select(_ => new Codebook(codebookSize, codeDimension, training)).ToArray());
        if (heads * codeDimension != dimension)
        {
            project_in = nn.Linear(dimension, heads * codeDimension);
            project_out = nn.Linear(heads * codeDimension, dimension);
        }
        RegisterComponents();
    }

    /// <summary>L.</summary>
    public int Heads { get; }

    /// <summary>D, the dimension of one code.</summary>
    public int CodeDimension { get; }

    /// <inheritdoc/>
    public CodeSpace Space { get; }

    /// <summary>The codebook of each head.</summary>
    public IReadOnlyList<Codebook> Codebooks => codebooks.ToArray();

    /// <summary>Quantises without learning; returns <see cref="Quantized.Output"/>.</summary>
    public override Tensor forward(Tensor z) => Quantize(z, learn: false).Output;

    /// <summary>
    /// Quantises z [N, dim]. With <paramref name="learn"/> (training steps only) the codebooks are
    /// first k-means-initialised if they have not been, and afterwards update their EMA statistics,
    /// usage counters and dead codes from this batch.
    /// </summary>
    public Quantized Quantize(Tensor z, bool learn)
    {
        long count = z.shape[0];
        var projected = project_in?.forward(z) ?? z;
        var parts = projected.reshape(count, Heads, CodeDimension); // [N, L·D] -> [N, L, D]
        if (_cosine) parts = nn.functional.normalize(parts, p: 2, dim: 2);
        var codes = new Tensor[Heads];
        var quantized = new Tensor[Heads];
        for (int head = 0; head < Heads; head++)
        {
            using var vectors = parts.select(1, head).detach(); // [N, D]
            if (learn) codebooks[head].InitialiseIfNeeded(vectors);
            codes[head] = codebooks[head].Nearest(vectors);
            quantized[head] = codebooks[head].Lookup(codes[head]);
        }
        var zq = stack(quantized, 1); // [N, L, D]
        var codebookLoss = nn.functional.mse_loss(zq, parts.detach());
        var commitmentLoss = nn.functional.mse_loss(parts, zq.detach());
        // Straight-through: the forward value is z_q, the backward pass treats quantisation as the identity.
        var passed = _gradient == GradientEstimator.Ste ? parts + (zq - parts).detach() : GradientPass.Apply(_gradient, parts, zq);
        if (learn)
        {
            for (int head = 0; head < Heads; head++)
            {
                using var vectors = parts.select(1, head).detach().contiguous();
                codebooks[head].Learn(vectors, codes[head]);
            }
        }
        var flat = passed.reshape(count, Heads * CodeDimension); // [N, L, D] -> [N, L·D]
        return new Quantized(project_out?.forward(flat) ?? flat, stack(codes, 1), codebookLoss, commitmentLoss);
    }

    /// <summary>Codes [N, L] → the vectors they stand for [N, dim] (the decoder's input).</summary>
    public Tensor Embed(Tensor codes)
    {
        long count = codes.shape[0];
        var parts = Enumerable.Range(0, Heads).Select(head => codebooks[head].Lookup(codes.select(1, head))).ToArray();
        var flat = stack(parts, 1).reshape(count, Heads * CodeDimension); // [N, L, D] -> [N, L·D]
        return project_out?.forward(flat) ?? flat;
    }

    /// <summary>The code of every head for z [N, dim] → [N, L], without learning or gradients.</summary>
    public Tensor Codes(Tensor z)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var parts = (project_in?.forward(z) ?? z).reshape(z.shape[0], Heads, CodeDimension);
        if (_cosine) parts = nn.functional.normalize(parts, p: 2, dim: 2);
        return stack(Enumerable.Range(0, Heads).Select(head => codebooks[head].Nearest(parts.select(1, head))).ToArray(), 1)
            .MoveToOuterDisposeScope();
    }

    QuantizerOutput IQuantizer.Quantize(Tensor z, bool learn)
    {
        var quantized = Quantize(z.reshape(-1, z.shape[2]), learn); // [B, P, dim] -> [B·P, dim]
        var commitment = quantized.CommitmentLoss * _commitment;
        (MetricKey, Tensor)[] terms = _ema ? [(QuantizerTerms.Commitment, commitment)] : [(QuantizerTerms.Codebook, quantized.CodebookLoss), (QuantizerTerms.Commitment, commitment)];
        return new QuantizerOutput(quantized.Output.reshape(z.shape), quantized.Codes.reshape(z.shape[0], z.shape[1], Heads), terms);
    }

    Tensor IQuantizer.Codes(Tensor z) => Codes(z.reshape(-1, z.shape[2])).reshape(z.shape[0], z.shape[1], Heads);

    Tensor IQuantizer.Embed(Tensor codes) => Embed(codes.reshape(-1, Heads)).reshape(codes.shape[0], codes.shape[1], -1);

    Tensor IQuantizer.EmbedPrefix(Tensor codes, int stages) =>
        stages == 1 ? ((IQuantizer)this).Embed(codes) : throw new ArgumentOutOfRangeException(nameof(stages), "a vector quantizer has one stage");
}
