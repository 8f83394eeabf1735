using Latent.Data;
using Latent.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.Denoising;

/// <summary>
/// Per-feature standardisation for table rows, (x − μ) / σ, with μ and σ² the running averages of the
/// batch statistics seen in training (buffers <c>mean</c>, <c>variance</c>, <c>batches</c>). Unlike
/// BatchNorm it always normalises with the running figures, so a batch of one works and training and
/// evaluation agree; noise levels such as gaussian:0.3 are then in units of each column's spread.
/// </summary>
public sealed class Standardizer : nn.Module
{
    private readonly Tensor mean;
    private readonly Tensor variance;
    private readonly Tensor batches;

    /// <summary>Starts with μ = 0, σ² = 1 for every feature, updated by <see cref="Update"/>.</summary>
    /// <param name="features">F, the number of table columns.</param>
    public Standardizer(int features) : base(nameof(Standardizer))
    {
        mean = zeros(features);
        variance = ones(features);
        batches = zeros(1);
        RegisterComponents();
    }

    /// <summary>Folds one training batch [B, F] into the running averages.</summary>
    public void Update(Tensor x)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        batches.add_(1);
        var weight = batches.reciprocal();
        mean.add_((x.mean([0]) - mean) * weight);
        var spread = x.shape[0] > 1 ? x.var(0, unbiased: false) : zeros_like(variance);
        variance.add_((spread - variance) * weight);
    }

    /// <summary>x [B, F] → (x − μ) / σ, with the running figures.</summary>
    public Tensor Standardize(Tensor x) => (x - mean) / Scale;

    /// <summary>The inverse of <see cref="Standardize"/>: z [B, F] → z·σ + μ, back in each column's units.</summary>
    public Tensor Restore(Tensor standardized) => standardized * Scale + mean;

    // σ, floored so that a constant column maps to 0 instead of dividing by zero.
    Tensor Scale => variance.clamp_min(1e-12).sqrt().clamp_min(1e-6);
}

/// <summary>ids [B, T] → code [B, D]: token embeddings (the [MASK] row learned like any other) plus learned positions, flattened, then an MLP.</summary>
public sealed class TokenMlpEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly Parameter positions;
    private readonly Sequential layers;

    /// <summary>Embeddings of width W for the vocabulary and the T positions, then an MLP through <paramref name="hidden"/> to the code.</summary>
    /// <param name="shape">Token data: T positions, a vocabulary of V ids.</param>
    /// <param name="width">W, the embedding width.</param>
    /// <param name="hidden">The MLP's hidden widths.</param>
    /// <param name="output">D, the code width.</param>
    public TokenMlpEncoder(DataShape shape, int width, IReadOnlyList<int> hidden, int output) : base(nameof(TokenMlpEncoder))
    {
        embedding = nn.Embedding(shape.VocabularySize, width);
        positions = nn.Parameter(randn(shape.Width, width).mul_(0.02));
        layers = Mlp.Create(shape.Width * width, hidden, output);
        RegisterComponents();
    }

    // [B, T] -> [B, T, W] -> [B, T·W] -> [B, D]
    /// <summary>ids [B, T] → code [B, D].</summary>
    public override Tensor forward(Tensor ids) => layers.forward((embedding.forward(ids) + positions).flatten(1));
}

/// <summary>code [B, D] → logits [B, T, V]: an MLP to one W-wide vector per position, then a linear map to the vocabulary shared by all positions.</summary>
public sealed class TokenMlpDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly TorchSharp.Modules.Linear head;
    private readonly int _length, _width;

    /// <summary>An MLP from the code through <paramref name="hidden"/> (reversed) to T·W values, then one W → V map for every position.</summary>
    /// <param name="input">D, the code width.</param>
    /// <param name="hidden">The encoder's hidden widths; the decoder runs them in reverse.</param>
    /// <param name="shape">Token data: T positions, a vocabulary of V ids.</param>
    /// <param name="width">W, the per-position width before the vocabulary map.</param>
    public TokenMlpDecoder(int input, IReadOnlyList<int> hidden, DataShape shape, int width) : base(nameof(TokenMlpDecoder))
    {
        (_length, _width) = (shape.Width, width);
        layers = Mlp.Create(input, hidden.Reverse().ToArray(), shape.Width * width);
        head = nn.Linear(width, shape.VocabularySize);
        RegisterComponents();
    }

    // [B, D] -> [B, T·W] -> [B, T, W] -> [B, T, V]
    /// <summary>code [B, D] → logits [B, T, V].</summary>
    public override Tensor forward(Tensor code) =>
        head.forward(nn.functional.relu(layers.forward(code)).reshape(code.shape[0], _length, _width));
}

/// <summary>
/// A bidirectional transformer encoder over tokens (ids [B, T]) or image patches ([B, C, H, W] cut
/// into p×p patches): embedding, learned position embeddings, pre-norm blocks, a final LayerNorm.
/// Its code is every position's final state, flattened to [B, N·W], so that the decoder needs
/// nothing else and Decode(Encode(x)) is exactly the reconstruction.
/// </summary>
public sealed class SequenceTransformerEncoder : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> embed;
    private readonly Parameter positions;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;

    /// <summary>Token or patch embedding, learned positions and <see cref="DaeOptions.Depth"/> pre-norm blocks of width <see cref="DaeOptions.Width"/>.</summary>
    /// <param name="shape">Tokens, or images that <see cref="DaeOptions.PatchSize"/> tiles.</param>
    /// <param name="options">The transformer's sizes.</param>
    public SequenceTransformerEncoder(DataShape shape, DaeOptions options) : base(nameof(SequenceTransformerEncoder))
    {
        embed = shape.Kind == DataKind.Tokens
            ? nn.Embedding(shape.VocabularySize, options.Width)
            : new PatchEmbedding(shape.Channels, options.PatchSize, options.Width);
        positions = nn.Parameter(randn(1, Positions(shape, options), options.Width).mul_(0.02));
        blocks = Transformers.Blocks(options.Depth, options.Width, options.AttentionHeads);
        norm = nn.LayerNorm(options.Width, eps: 1e-6);
        RegisterComponents();
        Transformers.Initialise(blocks);
        // Token embeddings on the scale of the positions (N(0, 0.02²), as BERT): at torch's default N(0, 1)
        // the positions are drowned out and the model long predicts the unigram distribution.
        if (embed is Embedding tokens)
            using (no_grad()) nn.init.normal_(tokens.weight, std: 0.02);
    }

    /// <summary>N: tokens in the window, or patches in the image.</summary>
    public static int Positions(DataShape shape, DaeOptions options) => shape.Kind == DataKind.Tokens
        ? shape.Width
        : shape.Height / options.PatchSize * (shape.Width / options.PatchSize);

    // tokens [B, T] or images [B, C, H, W] -> [B, N, W] -> [B, N·W]
    /// <summary>ids [B, T] or images [B, C, H, W] → code [B, N·W], every position's final state.</summary>
    public override Tensor forward(Tensor x) =>
        norm.forward(Transformers.Apply(blocks, embed.forward(x) + positions)).flatten(1);
}

/// <summary>code [B, N·W] → per position a linear map: to vocabulary logits [B, T, V], or to patch pixels reassembled into [B, C, H, W].</summary>
public sealed class SequenceTransformerDecoder : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Linear head;
    private readonly DataShape _shape;
    private readonly int _positions, _width, _patchSize;

    /// <summary>One linear map per position from width W to the vocabulary, or to a p×p patch of C channels.</summary>
    /// <param name="shape">Tokens, or images that <see cref="DaeOptions.PatchSize"/> tiles.</param>
    /// <param name="options">The transformer's sizes.</param>
    public SequenceTransformerDecoder(DataShape shape, DaeOptions options) : base(nameof(SequenceTransformerDecoder))
    {
        (_shape, _positions, _width, _patchSize) = (shape, SequenceTransformerEncoder.Positions(shape, options), options.Width, options.PatchSize);
        head = nn.Linear(options.Width, shape.Kind == DataKind.Tokens ? shape.VocabularySize : options.PatchSize * options.PatchSize * shape.Channels);
        RegisterComponents();
    }

    /// <summary>code [B, N·W] → logits [B, T, V] for tokens, or pixel logits [B, C, H, W] for images.</summary>
    public override Tensor forward(Tensor code)
    {
        // [B, N·W] -> [B, N, W] -> [B, N, V] (tokens) or [B, N, p·p·C] -> [B, C, H, W] (images)
        var output = head.forward(code.reshape(code.shape[0], _positions, _width));
        return _shape.Kind == DataKind.Tokens ? output : Patches.Unpatchify(output, _patchSize, _shape.ImageSize);
    }
}
