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
    protected Autoencoder(string name, ModelOptions options, DataShape shape) : base(name)
    {
        Options = options;
        Shape = shape;
    }

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

    public override Tensor forward(Tensor x) => Reconstruct(x);
}

/// <summary>Per-epoch figures and warnings a family reports about itself.</summary>
public sealed record Diagnosis(IReadOnlyDictionary<string, double> Figures, IReadOnlyList<string> Warnings)
{
    public static readonly Diagnosis None = new(new Dictionary<string, double>(), []);
}
