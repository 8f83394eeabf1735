using Latent.Data;
using Latent.Nn;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Models.Denoising;

/// <summary>
/// The denoising autoencoder (Vincent et al. 2008, "Extracting and composing robust features with
/// denoising autoencoders"; 2010, JMLR 11): corrupt x to x̃ ~ q(x̃ | x), encode and decode x̃, and
/// minimise the reconstruction loss of the CLEAN x, L = ℓ(ψ(φ(x̃)), x), over all elements or only the
/// corrupted ones (<see cref="LossOn"/>; BERT and MAE use the latter). Undoing corruption cannot be
/// done by copying, so no bottleneck is needed and the code may be wide.
/// <list type="bullet">
/// <item>Images (mlp, conv, transformer over patches): masked pixels take a fixed value (0 by default)
/// or a learned value per pixel position; ℓ is the squared error of the sigmoid output.</item>
/// <item>Table rows (mlp): standardised per column (<see cref="Standardizer"/>); masked features take
/// a learned value per feature; ℓ is the squared error in standardised units.</item>
/// <item>Tokens (mlp, transformer): masked tokens take the id [MASK], whose embedding is learned like
/// any other; ℓ is the cross-entropy over the vocabulary, −log p(x_t | x̃).</item>
/// </list>
/// Representation (<see cref="Encode"/>, of the clean input): the D-dimensional code for mlp and conv;
/// for the transformer, every position's final state, flattened to N·W values. <see cref="Autoencoder.Reconstruct"/>
/// of a clean input is what the model makes of an input it never saw in training (it expects hidden
/// elements: a DAE masked with 0 brightens clean images); <see cref="Inpaint"/> is its real use.
/// </summary>
public sealed class DenoisingAutoencoder : Autoencoder, IInpainting, ICorrupting
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly Parameter? maskEmbedding;
    private readonly Standardizer? standardizer;
    private readonly Corruption _corruption;
    private readonly DaeOptions _options;

    /// <summary>Builds the encoder and decoder for the architecture and data kind (MLP/conv from <see cref="Networks"/>, token MLPs, or the
    /// sequence transformer), the learned [MASK] value where there is one, and a <see cref="Standardizer"/> for tables.</summary>
    /// <param name="options">The DAE's options (corruption, loss, transformer sizes).</param>
    /// <param name="shape">The shape of one example.</param>
    public DenoisingAutoencoder(DaeOptions options, DataShape shape) : base("dae", options, shape)
    {
        _options = options;
        _corruption = new Corruption(options.Corruption, shape);
        (encoder, decoder) = (options.Arch, shape.Kind) switch
        {
            (Architecture.Transformer, _) => ((nn.Module<Tensor, Tensor>)new SequenceTransformerEncoder(shape, options), new SequenceTransformerDecoder(shape, options)),
            (_, DataKind.Tokens) => (new TokenMlpEncoder(shape, options.Width, options.Hidden, options.LatentDim),
                                     new TokenMlpDecoder(options.LatentDim, options.Hidden, shape, options.Width)),
            _ => (Networks.Encoder(options, shape, options.LatentDim), Networks.Decoder(options, shape, options.LatentDim)),
        };
        // A learned [MASK] value: per standardised feature (starting at the mean) or, on request, per pixel position (starting at mid-grey).
        if (options.Corruption.Kind == NoiseKind.Mask && (shape.Kind == DataKind.Table || shape.Kind == DataKind.Image && options.LearnMaskValue))
            maskEmbedding = nn.Parameter(full(shape.Dimensions, shape.Kind == DataKind.Image ? 0.5f : 0f));
        if (shape.Kind == DataKind.Table) standardizer = new Standardizer(shape.Width);
        RegisterComponents();
    }

    /// <summary>D for mlp and conv; for the transformer every position's final state, N·W values.</summary>
    public override int RepresentationSize => _options.Arch == Architecture.Transformer
        ? SequenceTransformerEncoder.Positions(Shape, _options) * _options.Width
        : _options.LatentDim;

    /// <inheritdoc/>
    public int MaskUnit => 1;

    /// <inheritdoc/>
    public double TrainingMaskFraction => _corruption.Noise.Level;

    /// <summary>
    /// Whether the model was trained with masking noise (<c>mask:P</c>), so that it learned to fill in hidden elements.
    /// </summary>
    public bool CanInpaint => _corruption.Noise.Kind == NoiseKind.Mask;

    /// <summary>
    /// x [B, ...shape] → code of the CLEAN input: z [B, D] for mlp and conv, [B, N·W] for the transformer (tables standardised first).
    /// </summary>
    public override Tensor Encode(Tensor x) => encoder.forward(ToModelUnits(x));

    /// <summary>code → x̂ in data units: pixels in [0, 1], table values in their own units, token ids (the most likely token).</summary>
    public override Tensor Decode(Tensor z) => ToDataUnits(decoder.forward(z));

    /// <summary>
    /// Corrupts the batch with q(x̃ | x), reconstructs it, and returns the reconstruction loss of the clean x (squared error for pixels and
    /// standardised table values, cross-entropy for tokens) over <see cref="DaeOptions.LossOn"/>: one term, <see cref="LossTerms.Reconstruction"/>.
    /// </summary>
    public override LossTerms Loss(Tensor x, LossContext context)
    {
        if (standardizer is not null && training) standardizer.Update(x);
        var target = ToModelUnits(x);
        var corrupted = _corruption.Apply(target, MaskFill(target));
        var output = decoder.forward(encoder.forward(corrupted.Input));
        var error = ElementLoss(output, target);
        var loss = _options.LossOn == LossOn.All ? error.mean() : MeanOver(error, corrupted.Positions);
        return new LossTerms(loss, (LossTerms.Reconstruction, loss));
    }

    /// <summary>Fills in the hidden elements of x: masks them as in training and keeps the model's prediction there, x elsewhere.</summary>
    /// <param name="x">A batch [B, ...shape] in data units.</param>
    /// <param name="missing">bool, the shape of x: true where hidden.</param>
    /// <exception cref="UserInputException">The model was not trained with masking noise (<see cref="CanInpaint"/>).</exception>
    public Inpainted Inpaint(Tensor x, Tensor missing)
    {
        if (!CanInpaint)
            throw new UserInputException($"this model was trained with {nameof(DaeOptions.Noise)} {_corruption.Noise}, so it never learned to fill in hidden parts; train one with {nameof(DaeOptions.Noise)} mask:P",
                nameof(DaeOptions.Noise));
        using var scope = NewDisposeScope();
        var input = ToModelUnits(x);
        var predicted = ToDataUnits(decoder.forward(encoder.forward(_corruption.Mask(input, missing, MaskFill(input)))));
        return new Inpainted(where(missing, predicted, x).MoveToOuterDisposeScope(), missing.clone().MoveToOuterDisposeScope());
    }

    /// <summary>Corrupts x with the training noise (every draw from <paramref name="generator"/>) and restores it, in data units.</summary>
    public Restoration RestoreCorrupted(Tensor x, Generator generator)
    {
        using var scope = NewDisposeScope();
        var input = ToModelUnits(x);
        var corrupted = _corruption.Apply(input, MaskFill(input), generator);
        var restored = ToDataUnits(decoder.forward(encoder.forward(corrupted.Input)));
        return new Restoration(restored.MoveToOuterDisposeScope(), corrupted.Positions.MoveToOuterDisposeScope());
    }

    /// <summary>Data → what the network sees: standardised table rows; pixels and token ids as they are.</summary>
    Tensor ToModelUnits(Tensor x) => standardizer?.Standardize(x) ?? x;

    Tensor ToDataUnits(Tensor output) => Shape.Kind switch
    {
        DataKind.Image => output.sigmoid(),
        DataKind.Table => standardizer!.Restore(output),
        _ => output.argmax(-1),
    };

    /// <summary>What masked elements become: the learned [MASK] value, or <see cref="DaeOptions.MaskValue"/>; null for tokens.</summary>
    Tensor? MaskFill(Tensor like) => Shape.Kind == DataKind.Tokens ? null
        : maskEmbedding ?? full(1, _options.MaskValue, dtype: like.dtype, device: like.device);

    /// <summary>Per-element loss: squared error of pixels (after the sigmoid) and of standardised values; cross-entropy of tokens.</summary>
    Tensor ElementLoss(Tensor output, Tensor target) => Shape.Kind switch
    {
        DataKind.Image => (output.sigmoid() - target).square(),
        DataKind.Table => (output - target).square(),
        // logits [B, T, V] -> [B, V, T], as cross_entropy wants the classes second; -> [B, T]
        _ => nn.functional.cross_entropy(output.permute(0, 2, 1), target, reduction: nn.Reduction.None),
    };

    static Tensor MeanOver(Tensor error, Tensor positions)
    {
        var weights = positions.to(error.dtype);
        return (error * weights).sum() / weights.sum().clamp_min(1);
    }
}
