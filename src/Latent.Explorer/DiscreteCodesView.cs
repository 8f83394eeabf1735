using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Explorer;

/// <summary>
/// A model's discrete codes as the explorer uses them: the grid of integer codes of an example and
/// its decode, found by the capability <see cref="IDiscreteCodes"/>, never by a concrete class.
/// </summary>
public sealed class DiscreteCodesView
{
    readonly IDiscreteCodes _model;

    DiscreteCodesView(IDiscreteCodes model) => _model = model;

    /// <summary>The discrete-code view of <paramref name="model"/>, or null for a model with continuous codes.</summary>
    public static DiscreteCodesView? Of(Autoencoder model) => model is IDiscreteCodes codes ? new DiscreteCodesView(codes) : null;

    /// <summary>K, codes per codebook.</summary>
    public int CodebookSize => _model.CodebookSize;

    /// <summary>L, codes per position.</summary>
    public int Heads => _model.Heads;

    /// <summary>The latent grid: [h, w] for a conv encoder, [P] for an MLP's slots.</summary>
    public IReadOnlyList<int> Grid => _model.Grid;

    /// <summary>P, positions per example.</summary>
    public int Positions => _model.Positions;

    /// <summary>x [B, ...shape] → codes [B, P, L] int64 in [0, K).</summary>
    public Tensor Codes(Tensor x) => _model.Codes(x);

    /// <summary>codes [B, P, L] → x̂ [B, ...shape].</summary>
    public Tensor DecodeCodes(Tensor codes) => _model.DecodeCodes(codes);
}
