using Latent.Data;
using Latent.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.Masked;

/// <summary>
/// The masked autoencoder (He et al. 2022, "Masked Autoencoders Are Scalable Vision Learners"),
/// following facebookresearch/mae's models_mae.py:
/// <list type="number">
/// <item>cut x into N patches of p×p and embed each (a strided convolution) plus fixed 2-D sine-cosine positions;</item>
/// <item>per example, keep a random N(1 − r) of them (the first ones of argsort(noise)) and drop the rest;</item>
/// <item>a ViT encoder (pre-norm blocks, optional class token) runs over the visible patches only;</item>
/// <item>a light decoder gets the encoded visible patches plus a shared learned mask token at every
/// hidden position, each with its decoder position embedding, and predicts every patch's pixels;</item>
/// <item>the loss is the squared error on the hidden patches only, L = Σ m_i ‖x̂_i − x_i‖² / (p²C Σ m_i),
/// with each target patch normalised by its own mean and variance under <c>--norm-pix-loss</c>.</item>
/// </list>
/// State-dict names are models_mae.py's in camelCase (<c>patchEmbed.proj</c>, <c>clsToken</c>,
/// <c>posEmbed</c>, <c>blocks.i.attn.qkv</c>, <c>norm</c>, <c>decoderEmbed</c>, <c>maskToken</c>,
/// <c>decoderPosEmbed</c>, <c>decoderBlocks</c>, <c>decoderNorm</c>, <c>decoderPred</c>): snake-casing a
/// key gives the reference name.
/// <para>
/// <see cref="Encode"/> is the mean of the encoded patches of the whole, unmasked image (no class
/// token), the average-pooled feature the paper probes. <see cref="Reconstruct"/> masks with a fixed
/// seed (so that it is repeatable), copies the visible patches and predicts the hidden ones.
/// <see cref="Decode"/> places one code at every patch position of the decoder: a coarse picture,
/// because a pooled code is not what the decoder was trained to read (under --norm-pix-loss, whose
/// outputs have no pixel scale, it is drawn around mid-grey).
/// </para>
/// </summary>
public sealed class MaskedAutoencoder : Autoencoder, IInpainting, ICorrupting
{
    private readonly PatchEmbedding patchEmbed;
    private readonly Parameter? clsToken;
    private readonly Tensor posEmbed;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm norm;
    private readonly TorchSharp.Modules.Linear decoderEmbed;
    private readonly Parameter maskToken;
    private readonly Tensor decoderPosEmbed;
    private readonly ModuleList<TransformerBlock> decoderBlocks;
    private readonly LayerNorm decoderNorm;
    private readonly TorchSharp.Modules.Linear decoderPred;
    private readonly MaeOptions _options;
    private readonly int _patches, _rows, _columns;

    /// <summary>Builds the patch embedding, fixed 2-D sin-cos positions, the encoder and decoder blocks and the learned mask token,
    /// initialised as the paper's code does (Xavier-uniform linear layers).</summary>
    /// <param name="options">The ViT's sizes and the mask ratio.</param>
    /// <param name="shape">Images whose sides <see cref="MaeOptions.PatchSize"/> divides.</param>
    public MaskedAutoencoder(MaeOptions options, DataShape shape) : base("mae", options, shape)
    {
        _options = options;
        (_rows, _columns) = (shape.Height / options.PatchSize, shape.Width / options.PatchSize);
        _patches = _rows * _columns;
        patchEmbed = new PatchEmbedding(shape.Channels, options.PatchSize, options.Width);
        if (options.ClsToken) clsToken = nn.Parameter(randn(1, 1, options.Width).mul_(0.02));
        posEmbed = Transformers.SinCosPositions(_rows, _columns, options.Width, options.ClsToken);
        blocks = Transformers.Blocks(options.Depth, options.Width, options.AttentionHeads);
        norm = nn.LayerNorm(options.Width, eps: 1e-6);
        decoderEmbed = nn.Linear(options.Width, options.DecoderWidth);
        maskToken = nn.Parameter(randn(1, 1, options.DecoderWidth).mul_(0.02));
        decoderPosEmbed = Transformers.SinCosPositions(_rows, _columns, options.DecoderWidth, options.ClsToken);
        decoderBlocks = Transformers.Blocks(options.DecoderDepth, options.DecoderWidth, options.AttentionHeads);
        decoderNorm = nn.LayerNorm(options.DecoderWidth, eps: 1e-6);
        decoderPred = nn.Linear(options.DecoderWidth, options.PatchSize * options.PatchSize * shape.Channels);
        RegisterComponents();
        Transformers.Initialise(blocks);
        Transformers.Initialise(decoderBlocks);
        Transformers.Initialise(decoderEmbed);
        Transformers.Initialise(decoderPred);
    }

    /// <summary>E, the encoder width: the representation is the mean of the encoded patches.</summary>
    public override int RepresentationSize => _options.Width;

    /// <summary>The patch side p: a MAE hides and predicts whole patches.</summary>
    public int MaskUnit => _options.PatchSize;

    /// <inheritdoc/>
    public double TrainingMaskFraction => _options.MaskRatio;

    /// <summary>Always: predicting hidden patches is what a MAE is trained for.</summary>
    public bool CanInpaint => true;

    int Offset => clsToken is null ? 0 : 1;

    /// <summary>Mean of the encoded patches of the unmasked image: [B, C, H, W] → [B, width].</summary>
    public override Tensor Encode(Tensor x)
    {
        var order = arange(_patches, device: x.device).expand(x.shape[0], _patches);
        var latent = EncodeVisible(x, order, _patches);
        return latent.narrow(1, Offset, _patches).mean([1]);
    }

    /// <summary>One code [B, width] at every patch position of the decoder → [B, C, H, W], clamped to [0, 1].</summary>
    public override Tensor Decode(Tensor z)
    {
        // [B, E] -> [B, N(+1), E]: the pooled code stands in for every encoded token.
        var latent = z.unsqueeze(1).expand(z.shape[0], Offset + _patches, z.shape[1]);
        var order = arange(_patches, device: z.device).expand(z.shape[0], _patches);
        return ToImage(DecodeTokens(latent, order), visiblePixels: null).clamp(0, 1);
    }

    /// <summary>x with a fixed-seed random mask at the mask ratio: visible patches copied, hidden ones predicted.</summary>
    public override Tensor Reconstruct(Tensor x)
    {
        using var generator = new Generator(seed: 0x3AE, device: CPU);
        return Fill(x, RandomOrder(x.shape[0], generator).to(x.device), _options.VisiblePatches(Shape)).Filled;
    }

    /// <summary>
    /// Hides a random <see cref="MaeOptions.MaskRatio"/> of the patches per example, encodes the visible ones, and returns the squared error
    /// on the hidden patches only (per element, normalised patches under <see cref="MaeOptions.NormPixLoss"/>): one term, <see cref="LossTerms.Reconstruction"/>.
    /// </summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        int visible = _options.VisiblePatches(Shape);
        var order = RandomOrder(x.shape[0], generator: null).to(x.device);
        var predicted = DecodeTokens(EncodeVisible(x, order, visible), order);  // [B, N, p·p·C]
        var target = Patches.Patchify(x, _options.PatchSize);
        if (_options.NormPixLoss) target = NormalisePatches(target);
        var perPatch = (predicted - target).square().mean([-1]);                 // [B, N]
        var hidden = HiddenPatches(order, visible);                               // [B, N], 1 = hidden
        var loss = (perPatch * hidden).sum() / hidden.sum();
        return new LossTerms(loss, (LossTerms.Reconstruction, loss));
    }

    /// <summary>Hides every patch that holds a missing pixel and predicts it; the missing pixels get the prediction, the rest stay.</summary>
    public Inpainted Inpaint(Tensor x, Tensor missing)
    {
        using var scope = NewDisposeScope();
        // bool [B, C, H, W] -> patches [B, N, p·p·C] -> a patch is hidden when any of its pixels is missing: [B, N]
        var hiddenPatches = Patches.Patchify(missing.to(ScalarType.Float32), _options.PatchSize).amax([-1]).gt(0);
        var hiddenPixels = Patches.Unpatchify(hiddenPatches.unsqueeze(-1).expand(-1, -1, _options.PatchSize * _options.PatchSize * Shape.Channels)
                                                 .to(ScalarType.Float32), _options.PatchSize, Shape.ImageSize).gt(0);
        var counts = hiddenPatches.sum([1]);
        var parts = new List<Tensor>();
        // One example at a time: the encoder takes the same number of visible patches for every example of a batch.
        for (long i = 0; i < x.shape[0]; i++)
        {
            int visible = _patches - (int)counts[i].item<long>();
            var example = x.narrow(0, i, 1);
            if (visible == 0)
                throw new UserInputException("the mask hides every patch, and a MAE needs some visible ones to go on; hide fewer patches");
            parts.Add(visible == _patches ? example : Fill(example, VisibleFirst(hiddenPatches.narrow(0, i, 1)), visible).Filled);
        }
        var predicted = cat(parts, 0);
        return new Inpainted(where(missing, predicted, x).MoveToOuterDisposeScope(), hiddenPixels.MoveToOuterDisposeScope());
    }

    /// <summary>Hides a random N·r of the patches of every example (drawn from <paramref name="generator"/>) and predicts them, clamped to [0, 1].</summary>
    public Restoration RestoreCorrupted(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        var order = RandomOrder(x.shape[0], generator).to(x.device);
        var filled = Fill(x, order, _options.VisiblePatches(Shape));
        return new Restoration(filled.Filled.MoveToOuterDisposeScope(), filled.Hidden.MoveToOuterDisposeScope());
    }

    /// <summary>Per example, the patch indices in a random order (argsort of uniform noise): the first N(1 − r) stay visible. [B, N]</summary>
    Tensor RandomOrder(long batch, Generator? generator) => rand(batch, _patches, generator: generator).argsort(1);

    /// <summary>An order that puts the visible patches first (in place order), then the hidden ones: [1, N].</summary>
    Tensor VisibleFirst(Tensor hidden)
    {
        // key = hidden·N + index sorts visible patches first, each group by position.
        var key = hidden.to(ScalarType.Int64) * _patches + arange(_patches, device: hidden.device);
        return key.argsort(1);
    }

    /// <summary>1 for the patches beyond the first <paramref name="visible"/> of <paramref name="order"/>, in place order: [B, N] float.</summary>
    Tensor HiddenPatches(Tensor order, int visible)
    {
        var byRank = ones(order.shape, device: order.device);
        byRank.narrow(1, 0, visible).zero_();
        return byRank.gather(1, order.argsort(1)); // rank → place: MAE's gather with ids_restore
    }

    /// <summary>Encodes the first <paramref name="visible"/> patches of <paramref name="order"/>: [B, (1+) visible, width] after the final norm.</summary>
    Tensor EncodeVisible(Tensor x, Tensor order, int visible)
    {
        var tokens = patchEmbed.forward(x) + posEmbed.narrow(1, Offset, _patches);  // [B, N, E]
        var keep = order.narrow(1, 0, visible);                                      // [B, n]
        tokens = tokens.gather(1, keep.unsqueeze(-1).expand(-1, -1, tokens.shape[2])); // [B, n, E]
        if (clsToken is not null)
        {
            var cls = (clsToken + posEmbed.narrow(1, 0, 1)).expand(x.shape[0], -1, -1);
            tokens = cat([cls, tokens], 1);                                          // [B, 1 + n, E]
        }
        return norm.forward(Transformers.Apply(blocks, tokens));
    }

    /// <summary>Encoded visible tokens [B, (1+) n, E] → predicted patches [B, N, p·p·C] in place order.</summary>
    Tensor DecodeTokens(Tensor latent, Tensor order)
    {
        var embedded = decoderEmbed.forward(latent);                                 // [B, (1+) n, Ed]
        long batch = embedded.shape[0], visible = embedded.shape[1] - Offset;
        var patches = cat([embedded.narrow(1, Offset, visible), maskToken.expand(batch, _patches - visible, -1)], 1); // [B, N, Ed] in rank order
        patches = patches.gather(1, order.argsort(1).unsqueeze(-1).expand(-1, -1, patches.shape[2]));         // unshuffle to place order
        var sequence = clsToken is null ? patches : cat([embedded.narrow(1, 0, 1), patches], 1);
        sequence = decoderNorm.forward(Transformers.Apply(decoderBlocks, sequence + decoderPosEmbed));
        return decoderPred.forward(sequence).narrow(1, Offset, _patches);
    }

    /// <summary>Masks by <paramref name="order"/>, predicts, and pastes the prediction into the hidden patches (clamped to [0, 1]).</summary>
    Inpainted Fill(Tensor x, Tensor order, int visible)
    {
        var predicted = DecodeTokens(EncodeVisible(x, order, visible), order);
        var hidden = HiddenPatches(order, visible);                                                       // [B, N]
        int patchValues = _options.PatchSize * _options.PatchSize * Shape.Channels;
        var hiddenPixels = Patches.Unpatchify(hidden.unsqueeze(-1).expand(-1, -1, patchValues), _options.PatchSize, Shape.ImageSize).gt(0.5);
        var image = ToImage(predicted, _options.NormPixLoss ? where(hiddenPixels, zeros_like(x), x) : null, hiddenPixels).clamp(0, 1);
        return new Inpainted(where(hiddenPixels, image, x), hiddenPixels);
    }

    /// <summary>
    /// Predicted patches → image. Under --norm-pix-loss the predictions are in units of each patch's own
    /// spread, which the model never sees for a hidden patch; they are mapped back with the mean and
    /// standard deviation of the image's visible pixels, an approximation.
    /// </summary>
    Tensor ToImage(Tensor predicted, Tensor? visiblePixels, Tensor? hiddenPixels = null)
    {
        var image = Patches.Unpatchify(predicted, _options.PatchSize, Shape.ImageSize);
        if (!_options.NormPixLoss) return image;
        if (visiblePixels is null || hiddenPixels is null) return image * 0.25 + 0.5;
        var seen = hiddenPixels.logical_not().to(ScalarType.Float32);
        var count = seen.sum([1, 2, 3], keepdim: true).clamp_min(1);
        var mean = visiblePixels.sum([1, 2, 3], keepdim: true) / count;
        var spread = ((visiblePixels - mean).square() * seen).sum([1, 2, 3], keepdim: true) / count;
        return image * (spread + 1e-6).sqrt() + mean;
    }

    /// <summary>MAE's norm_pix_loss target: every patch minus its mean, over its standard deviation (ε = 1e-6 on the variance).</summary>
    static Tensor NormalisePatches(Tensor patches)
    {
        var mean = patches.mean([-1], keepdim: true);
        var variance = patches.var(-1, unbiased: true, keepdim: true);
        return (patches - mean) / (variance + 1e-6).sqrt();
    }
}
