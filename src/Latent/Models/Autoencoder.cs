using Latent.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// The contract every family implements (cf. pythae's BaseAE): an encoder φ: X → Z, a decoder
/// ψ: Z → X and a loss that names its terms. The trainer, the evaluator, the reports and the
/// command line only ever talk to this class.
/// </summary>
public abstract class Autoencoder : nn.Module<Tensor, Tensor>, ITrainable
{
    /// <summary>Records what the model is built from; a family builds its networks after this and then calls <c>RegisterComponents()</c>.</summary>
    /// <param name="name">The TorchSharp module name.</param>
    /// <param name="options">The family's options, kept as <see cref="Options"/> (and written into the run's manifest).</param>
    /// <param name="shape">The shape of one example, kept as <see cref="Shape"/>.</param>
    protected Autoencoder(string name, ModelOptions options, DataShape shape) : base(name)
    {
        Options = options;
        Shape = shape;
        Condition = options.Uses(nameof(ModelOptions.Condition)) && options.Condition == Conditioning.Label ? new LabelCondition(options.ConditionClasses) : null;
    }

    /// <summary>The label conditioning of a model built with <c>Condition label</c> (a CVAE); null for an unconditional model.</summary>
    public LabelCondition? Condition { get; }

    /// <summary>
    /// Gives the examples' labels [B] (int64) to a conditioned model until the result is disposed: encoding, decoding,
    /// reconstructing, the loss and sampling then use them (<c>using (model.Given(labels)) z = model.Encode(x);</c>).
    /// An unconditional model ignores them (so callers may always pass the data's labels); null gives none.
    /// </summary>
    public IDisposable? Given(Tensor? labels) => Condition is null || labels is null ? null : Condition.Given(labels);

    /// <summary>The shape the encoder network reads: the data's, or with the one-hot label joined (<see cref="LabelCondition.EncoderShape"/>).</summary>
    protected DataShape EncoderShape => Condition?.EncoderShape(Options, Shape) ?? Shape;

    /// <summary>Inputs of the decoder network per example: D, plus K for a conditioned model.</summary>
    protected int DecoderInputs(int latentDimension) => latentDimension + (Condition?.ClassCount ?? 0);

    /// <summary>The encoder network's input: x, or [x, y] for a conditioned model.</summary>
    protected Tensor EncoderInput(Tensor x) => Condition?.AppendToInput(x, Options.Arch) ?? x;

    /// <summary>The decoder network's input: z, or [z, y] for a conditioned model.</summary>
    protected Tensor DecoderInput(Tensor z) => Condition?.AppendToCode(z) ?? z;

    /// <summary>The options the model was built from.</summary>
    public ModelOptions Options { get; }

    /// <summary>The shape of one example.</summary>
    public DataShape Shape { get; }

    /// <summary>Dimension of the representation <see cref="Encode"/> returns per example.</summary>
    public virtual int RepresentationSize => Options.LatentDim;

    /// <summary>x [B, ...shape] → z [B, D]: the deterministic representation (the posterior mean for a VAE).</summary>
    public abstract Tensor Encode(Tensor x);

    /// <summary>z [B, D] → x̂ [B, ...shape], in data units (pixels in [0, 1]).</summary>
    public abstract Tensor Decode(Tensor z);

    /// <summary>The training objective on one batch, broken into named terms.</summary>
    public abstract LossTerms Loss(Tensor x, LossContext context);

    /// <summary>x → x̂ through the latent space.</summary>
    public virtual Tensor Reconstruct(Tensor x) => Decode(Encode(x));

    /// <summary>TorchSharp's forward pass: x [B, ...shape] → x̂ [B, ...shape], the same as <see cref="Reconstruct"/>.</summary>
    public override Tensor forward(Tensor x) => Reconstruct(x);
}

/// <summary>
/// Per-epoch figures and warnings a family reports about itself; <paramref name="Notes"/> are named
/// facts that are words, not numbers (e.g. which PCA solver ran), for fit.json.
/// </summary>
public sealed record Diagnosis(IReadOnlyDictionary<string, double> Figures, IReadOnlyList<string> Warnings,
                               IReadOnlyDictionary<string, string>? Notes = null)
{
    /// <summary>No figures, no warnings: what a family without per-epoch diagnostics reports.</summary>
    public static readonly Diagnosis None = new(new Dictionary<string, double>(), []);
}
