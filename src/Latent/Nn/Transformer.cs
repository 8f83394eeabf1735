using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>
/// Multi-head self-attention (Vaswani et al. 2017), laid out as timm's <c>Attention</c> that MAE's
/// ViT uses: one <c>qkv</c> projection E → 3E, softmax(QKᵀ/√d)V per head through libtorch's fused
/// <c>scaled_dot_product_attention</c>, and an output projection <c>proj</c>. Bidirectional (every
/// position attends to every other, as an encoder should) or causal (each position sees only itself
/// and earlier ones, as an autoregressive model must).
/// </summary>
internal sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int _heads;
    private readonly bool _causal;

    public SelfAttention(int width, int heads, bool causal = false) : base(nameof(SelfAttention))
    {
        if (width % heads != 0) throw new ArgumentException($"width {width} is not divisible by {heads} heads");
        _heads = heads;
        _causal = causal;
        qkv = nn.Linear(width, 3 * width);
        proj = nn.Linear(width, width);
        RegisterComponents();
    }

    /// <summary>Attention heads H (each of width E/H).</summary>
    public int Heads => _heads;

    /// <summary>Whether each position attends only to itself and earlier ones.</summary>
    public bool Causal => _causal;

    public override Tensor forward(Tensor x)
    {
        long batch = x.shape[0], length = x.shape[1], width = x.shape[2];
        // [B, N, 3E] -> [B, N, 3, H, E/H] -> [3, B, H, N, E/H]
        var projected = qkv.forward(x).reshape(batch, length, 3, _heads, width / _heads).permute(2, 0, 3, 1, 4);
        var (query, key, value) = (projected[0], projected[1], projected[2]);
        // softmax(Q Kᵀ / √d) V, [B, H, N, E/H]
        var attended = nn.functional.scaled_dot_product_attention(query, key, value, is_casual: _causal);
        // [B, H, N, E/H] -> [B, N, H, E/H] -> [B, N, E]
        return proj.forward(attended.transpose(1, 2).reshape(batch, length, width));
    }
}

/// <summary>The position-wise feed-forward network: <c>fc1</c> (E → rE), GELU, <c>fc2</c> (rE → E).</summary>
internal sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly GELU act;
    private readonly Linear fc2;

    public FeedForward(int width, int hidden) : base(nameof(FeedForward))
    {
        fc1 = nn.Linear(width, hidden);
        act = nn.GELU();
        fc2 = nn.Linear(hidden, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.forward(act.forward(fc1.forward(x)));
}

/// <summary>
/// A pre-norm transformer block, x ← x + Attention(LN(x)); x ← x + MLP(LN(x)), with timm's state-dict
/// names (<c>norm1</c>, <c>attn.qkv</c>, <c>attn.proj</c>, <c>norm2</c>, <c>mlp.fc1</c>, <c>mlp.fc2</c>).
/// Pre-norm keeps the residual path an identity, which is what lets deep stacks train without warm-up tricks.
/// </summary>
internal sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly SelfAttention attn;
    private readonly LayerNorm norm2;
    private readonly FeedForward mlp;

    public TransformerBlock(int width, int heads, int mlpRatio = 4, bool causal = false) : base(nameof(TransformerBlock))
    {
        norm1 = nn.LayerNorm(width, eps: 1e-6);
        attn = new SelfAttention(width, heads, causal);
        norm2 = nn.LayerNorm(width, eps: 1e-6);
        mlp = new FeedForward(width, mlpRatio * width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = x + attn.forward(norm1.forward(x));
        return x + mlp.forward(norm2.forward(x));
    }
}

/// <summary>Helpers shared by the transformer models.</summary>
internal static class Transformers
{
    /// <summary><paramref name="depth"/> blocks as a list (state-dict keys <c>0.norm1.weight</c>, …); causal ones for autoregressive models.</summary>
    public static ModuleList<TransformerBlock> Blocks(int depth, int width, int heads, bool causal = false) =>
        nn.ModuleList(Enumerable.Range(0, depth).Select(_ => new TransformerBlock(width, heads, causal: causal)).ToArray());

    /// <summary>
    /// Runs <paramref name="x"/> [B, N, E] through every block in turn. Each block's intermediates are freed
    /// when it is done (autograd keeps what backward needs): held to the end of the batch, the 4 blocks of
    /// the masked autoencoder's encoder took about 1 GB at 500 images.
    /// </summary>
    public static Tensor Apply(ModuleList<TransformerBlock> blocks, Tensor x)
    {
        foreach (var block in blocks)
        {
            using var scope = NewDisposeScope();
            x = block.forward(x).MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>
    /// The initialisation of MAE's models_mae.py: Xavier-uniform weights and zero biases for every
    /// linear layer, LayerNorm at weight 1 and bias 0.
    /// </summary>
    public static void Initialise(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            if (child is Linear linear)
            {
                nn.init.xavier_uniform_(linear.weight);
                if (linear.bias is not null) nn.init.zeros_(linear.bias);
            }
            else if (child is LayerNorm norm)
            {
                if (norm.weight is not null) nn.init.ones_(norm.weight);
                if (norm.bias is not null) nn.init.zeros_(norm.bias);
            }
        }
    }

    /// <summary>
    /// Fixed 2-D sine-cosine position embeddings for a <paramref name="rows"/>×<paramref name="columns"/>
    /// grid of patches, [1, (1+) rows·columns, width], as in MAE (get_2d_sincos_pos_embed): half the
    /// channels encode the column, half the row, each as sin/cos at frequencies 1/10000^(2i/d).
    /// With <paramref name="leadingZeroRow"/>, a zero row comes first for the class token.
    /// </summary>
    public static Tensor SinCosPositions(int rows, int columns, int width, bool leadingZeroRow)
    {
        if (width % 4 != 0) throw new ArgumentException($"width {width} must be divisible by 4 for 2-D sine-cosine positions");
        int quarter = width / 4, offset = leadingZeroRow ? 1 : 0;
        var values = new float[(offset + rows * columns) * width];
        for (int row = 0; row < rows; row++)
        for (int column = 0; column < columns; column++)
        {
            int start = (offset + row * columns + column) * width;
            for (int i = 0; i < quarter; i++)
            {
                double frequency = 1 / Math.Pow(10000, (double)i / quarter);
                // MAE's first half encodes grid[0], which meshgrid(w, h) fills with the column index.
                values[start + i] = (float)Math.Sin(column * frequency);
                values[start + quarter + i] = (float)Math.Cos(column * frequency);
                values[start + 2 * quarter + i] = (float)Math.Sin(row * frequency);
                values[start + 3 * quarter + i] = (float)Math.Cos(row * frequency);
            }
        }
        return tensor(values, [1, offset + rows * columns, width]);
    }
}

/// <summary>Cutting images into non-overlapping p×p patches and back, in MAE's layout.</summary>
internal static class Patches
{
    /// <summary>[B, C, H, W] → [B, h·w, p·p·C] with h = H/p, w = W/p; patches row-major, pixels (row, column, channel) inside.</summary>
    public static Tensor Patchify(Tensor images, int patchSize)
    {
        long batch = images.shape[0], channels = images.shape[1], rows = images.shape[2] / patchSize, columns = images.shape[3] / patchSize;
        // [B, C, h, p, w, p] -> [B, h, w, p, p, C] -> [B, h·w, p·p·C]
        return images.reshape(batch, channels, rows, patchSize, columns, patchSize).permute(0, 2, 4, 3, 5, 1)
                     .reshape(batch, rows * columns, patchSize * patchSize * channels);
    }

    /// <summary>The inverse of <see cref="Patchify"/>: [B, h·w, p·p·C] → [B, C, H, W].</summary>
    public static Tensor Unpatchify(Tensor patches, int patchSize, (int Channels, int Height, int Width) shape)
    {
        long batch = patches.shape[0], rows = shape.Height / patchSize, columns = shape.Width / patchSize;
        // [B, h·w, p·p·C] -> [B, h, w, p, p, C] -> [B, C, h, p, w, p] -> [B, C, H, W]
        return patches.reshape(batch, rows, columns, patchSize, patchSize, shape.Channels).permute(0, 5, 1, 3, 2, 4)
                      .reshape(batch, shape.Channels, shape.Height, shape.Width);
    }
}

/// <summary>
/// Images [B, C, H, W] → patch tokens [B, h·w, E]: a p×p convolution with stride p (<c>proj</c>), the
/// same as a linear map of every flattened patch, as in ViT (Dosovitskiy et al. 2021) and MAE.
/// </summary>
internal sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;

    public PatchEmbedding(int channels, int patchSize, int width) : base(nameof(PatchEmbedding))
    {
        proj = nn.Conv2d(channels, width, kernel_size: patchSize, stride: patchSize);
        RegisterComponents();
        using var noGrad = no_grad();
        // MAE initialises the projection like a linear layer: Xavier-uniform on its [E, C·p·p] view.
        nn.init.xavier_uniform_(proj.weight.view(width, -1));
        if (proj.bias is not null) nn.init.zeros_(proj.bias);
    }

    // [B, C, H, W] -> [B, E, h, w] -> [B, E, h·w] -> [B, h·w, E]
    public override Tensor forward(Tensor images) => proj.forward(images).flatten(2).transpose(1, 2);
}
