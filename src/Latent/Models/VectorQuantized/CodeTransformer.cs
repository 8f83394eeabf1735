// A small decoder-only transformer over code sequences: the autoregressive prior p(k_1..k_T) = Π p(k_t | k_<t)
// that makes VQ-VAE samples coherent (van den Oord et al. 2017, §3.2, used a PixelCNN; a GPT-style
// transformer over the raster-ordered code grid is the common modern choice, e.g. Esser et al. 2021,
// "Taming Transformers"). The embeddings and head follow karpathy/nanoGPT's GPT; the blocks are the
// shared pre-norm blocks of Nn/Transformer.cs, made causal.

using TorchSharp;
using Latent.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// Tokens [B, t] → next-code logits [B, t, K]. A code sequence has T = positions × heads tokens,
/// position-major (raster order over the grid, the heads of a position one after another); the
/// token of code c in head h is h·K + c, so each head's codes have their own embeddings, and the
/// token after the last code is a start token that begins every sequence.
/// </summary>
public sealed class CodeTransformer : nn.Module<Tensor, Tensor>, ITrainable
{
    /// <summary>Attention heads per block.</summary>
    public const int AttentionHeads = 4;

    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly ModuleList<TransformerBlock> h;
    private readonly LayerNorm ln_f;
    private readonly TorchSharp.Modules.Linear lm_head;

    /// <summary>A causal transformer over code sequences of <paramref name="sequenceLength"/> tokens, one vocabulary of K codes per head plus a start token.</summary>
    /// <param name="sequenceLength">P·L, the codes of one example, position-major.</param>
    /// <param name="heads">L; a code at head l is token l·K + code, so that heads do not share embeddings.</param>
    /// <param name="codebookSize">K.</param>
    /// <param name="width">The embedding width, a multiple of <see cref="AttentionHeads"/>.</param>
    /// <param name="layers">The number of blocks.</param>
    public CodeTransformer(int sequenceLength, int heads, int codebookSize, int width, int layers) : base(nameof(CodeTransformer))
    {
        SequenceLength = sequenceLength;
        CodeHeads = heads;
        CodebookSize = codebookSize;
        wte = nn.Embedding(heads * codebookSize + 1, width);
        wpe = nn.Embedding(sequenceLength, width);
        h = Transformers.Blocks(layers, width, AttentionHeads, causal: true);
        ln_f = nn.LayerNorm(width);
        lm_head = nn.Linear(width, codebookSize);
        using (no_grad())
        {
            // GPT-2's initialisation: small embeddings, so that early training is not dominated by them.
            nn.init.normal_(wte.weight, 0, 0.02);
            nn.init.normal_(wpe.weight, 0, 0.02);
        }
        RegisterComponents();
    }

    /// <summary>T, codes per example.</summary>
    public int SequenceLength { get; }

    /// <summary>L, codes per position.</summary>
    public int CodeHeads { get; }

    /// <summary>K.</summary>
    public int CodebookSize { get; }

    /// <summary>The token that starts every sequence.</summary>
    public long StartToken => (long)CodeHeads * CodebookSize;

    /// <summary>Tokens [B, t] (t ≤ T) → logits [B, t, K] of the code that follows each prefix.</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var positions = arange(tokens.shape[1], ScalarType.Int64, tokens.device);
        var x = wte.forward(tokens) + wpe.forward(positions); // [B, t, width]
        x = Transformers.Apply(h, x);
        return lm_head.forward(ln_f.forward(x));
    }

    /// <summary>Codes [B, T] (head-local, in [0, K)) → the inputs that predict them: start token, then all but the last, as tokens.</summary>
    public Tensor Inputs(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var tokens = codes + HeadOffsets(codes.shape[1], codes.device);
        var start = full(codes.shape[0], 1, StartToken, ScalarType.Int64, codes.device);
        return cat([start, tokens.narrow(1, 0, codes.shape[1] - 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>h·K for each of the first <paramref name="length"/> sequence positions [1, length].</summary>
    public Tensor HeadOffsets(long length, Device device) =>
        arange(length, ScalarType.Int64, device).remainder(CodeHeads).mul_(CodebookSize).unsqueeze(0);

    /// <summary>Mean negative log-likelihood in nats per code of codes [B, T].</summary>
    public Tensor NegativeLogLikelihood(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var logits = forward(Inputs(codes)); // [B, T, K]
        return nn.functional.cross_entropy(logits.reshape(-1, CodebookSize), codes.reshape(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>The objective of the prior: the negative log-likelihood of the next code.</summary>
    public static readonly MetricKey NegativeLogLikelihoodTerm = MetricKey.Term("nll", "negative log-likelihood of each code given the codes before it, nats per code");

    /// <summary>Code sequences [B, T] → the mean negative log-likelihood per code, as the trainer minimises it.</summary>
    public LossTerms Loss(Tensor x, LossContext context)
    {
        var nll = NegativeLogLikelihood(x);
        return new LossTerms(nll, (NegativeLogLikelihoodTerm, nll));
    }

    /// <summary>log p(k_t | k_&lt;t) of every code of codes [B, T] → [B, T] nats.</summary>
    public Tensor LogProbabilities(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var logits = forward(Inputs(codes));                                        // [B, T, K]
        return nn.functional.log_softmax(logits, -1).gather(2, codes.unsqueeze(2)).squeeze(2).MoveToOuterDisposeScope();
    }

    /// <summary>Sequences drawn at once; larger counts are drawn in chunks so that memory stays bounded.</summary>
    const int SampleChunk = 256;

    /// <summary>Draws <paramref name="count"/> code sequences [count, T] one code at a time, with torch's global generator.</summary>
    public Tensor Sample(int count, Device device)
    {
        using var noGrad = no_grad();
        var chunks = new List<Tensor>();
        try
        {
            for (int start = 0; start < count; start += SampleChunk)
                chunks.Add(SampleChunkOf(Math.Min(SampleChunk, count - start), device));
            return cat(chunks, 0);
        }
        finally
        {
            foreach (var chunk in chunks) chunk.Dispose();
        }
    }

    /// <summary>One chunk of <see cref="Sample"/>: each step's forward pass is freed before the next, so memory stays at one pass.</summary>
    Tensor SampleChunkOf(int count, Device device)
    {
        var tokens = full(count, 1, StartToken, ScalarType.Int64, device);
        for (int t = 0; t < SequenceLength; t++)
        {
            using var step = NewDisposeScope();
            var logits = forward(tokens).select(1, -1);                                  // [count, K]
            var code = nn.functional.softmax(logits, 1).multinomial(1);                  // [count, 1]
            var longer = cat([tokens, code + (long)(t % CodeHeads) * CodebookSize], 1).MoveToOuterDisposeScope();
            tokens.Dispose();
            tokens = longer;
        }
        // Drop the start token and the head offsets: tokens [count, 1 + T] -> head-local codes [count, T].
        using var scope = NewDisposeScope();
        using (tokens)
            return (tokens.narrow(1, 1, SequenceLength) - HeadOffsets(SequenceLength, device)).MoveToOuterDisposeScope();
    }
}
