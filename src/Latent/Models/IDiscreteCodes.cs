using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>
/// A model whose representation is discrete: at each of P latent positions, L heads each choose
/// one of K codes (a VQ-VAE). What code files, codebook figures and the ONNX export ask for.
/// </summary>
public interface IDiscreteCodes
{
    /// <summary>x [B, ...shape] → the code of every position and head [B, P, L] (int64, in [0, K)).</summary>
    Tensor Codes(Tensor x);

    /// <summary>Codes [B, P, L] → x̂ [B, ...shape] in data units.</summary>
    Tensor DecodeCodes(Tensor codes);

    /// <summary>K, codes per codebook.</summary>
    int CodebookSize { get; }

    /// <summary>L, codes per position.</summary>
    int Heads { get; }

    /// <summary>The latent grid: [h, w] for a conv model, [slots] for an MLP; P is its product.</summary>
    IReadOnlyList<int> Grid { get; }

    /// <summary>Bits that store one example's codes: P · L · ⌈log2 K⌉.</summary>
    long BitsPerExample { get; }
}
