using Latent.Data;
using Latent.Evaluation;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>
/// Pictures of the latent space for any family: walks between encoded examples, samples of a
/// generative model, and for 2-D latents the decoded latent grid
/// (the "learned manifold" figure of Kingma &amp; Welling 2014, fig. 4).
/// </summary>
public static class LatentFigures
{
    /// <summary>
    /// Points on the way from each row of <paramref name="from"/> to the same row of <paramref name="to"/>
    /// ([P, D] each) at t = 0, 1/(steps−1), …, 1 → [P, steps, D]. Linear, or spherical (slerp, White 2016,
    /// "Sampling generative networks"), which keeps the norm of the codes typical of a Gaussian prior;
    /// slerp falls back to linear for (anti)parallel codes.
    /// </summary>
    public static Tensor Walk(Tensor from, Tensor to, int steps, bool spherical)
    {
        if (steps < 2) throw new UserInputException($"{nameof(steps)} {steps} must be at least 2 (the two ends)", nameof(steps));
        using var scope = NewDisposeScope();
        var t = linspace(0, 1, steps, dtype: from.dtype, device: from.device).reshape(1, steps, 1);     // [1, S, 1]
        var (a, b) = (from.unsqueeze(1), to.unsqueeze(1));                                                // [P, 1, D]
        var linear = a + t * (b - a);
        if (!spherical) return linear.MoveToOuterDisposeScope();
        var cosine = nn.functional.cosine_similarity(from, to, dim: 1).clamp(-1, 1).reshape(-1, 1, 1);    // [P, 1, 1]
        var angle = cosine.acos();
        var sine = angle.sin();
        var spherically = ((1 - t) * angle).sin() / sine * a + (t * angle).sin() / sine * b;
        return where(sine.abs() > 1e-6, spherically, linear).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rows of [first example | decoded walk of <paramref name="steps"/> codes | second example]:
    /// examples [P, C, H, W] each → images [P·(steps + 2), C, H, W], to be tiled steps + 2 per row.
    /// </summary>
    public static Tensor Interpolations(Autoencoder model, Tensor first, Tensor second, int steps, bool spherical)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var walk = Walk(model.Encode(first), model.Encode(second), steps, spherical);                   // [P, S, D]
        long pairs = first.shape[0];
        // [P, S, D] -> [P·S, D] -> decoded [P·S, C, H, W] -> [P, S, C, H, W]
        var decoded = model.Decode(walk.reshape(pairs * steps, walk.shape[2])).reshape([pairs, steps, .. first.shape.Skip(1)]);
        var rows = cat([first.unsqueeze(1), decoded, second.unsqueeze(1)], 1);                          // [P, S + 2, C, H, W]
        return rows.reshape([pairs * (steps + 2), .. first.shape.Skip(1)]).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="pairs"/> disjoint pairs of example indices below <paramref name="count"/>, drawn with <paramref name="seed"/>.</summary>
    public static (int[] First, int[] Second) RandomPairs(int count, int pairs, int seed)
    {
        var order = Shuffle.Permutation(count, seed);
        return (order[..pairs], order[pairs..(2 * pairs)]);
    }

    /// <summary>
    /// A grid of <paramref name="count"/> draws from a generative model's prior, seeded; for a label-conditioned
    /// model one row of 8 per label instead. False for other models or non-images.
    /// </summary>
    public static bool SaveSamples(string path, Autoencoder model, int count = 64, long seed = 0)
    {
        if (model is not IGenerative { CanSample: true } generative || model.Shape.Kind != DataKind.Image) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(seed);
        if (model.Condition is { } condition)
        {
            const int perLabel = 8;
            using var rows = model.Given(condition.EqualShares(perLabel * condition.ClassCount));   // [K·8]: label k in row k
            ImageGrid.Save(path, generative.Sample(perLabel * condition.ClassCount), columns: perLabel);
            return true;
        }
        ImageGrid.SaveSquare(path, generative.Sample(count));
        return true;
    }

    /// <summary>
    /// The decoded latent grid of a 2-D latent space: <paramref name="side"/>² codes at the 5 %…95 %
    /// quantiles of the encoded examples along each axis (for a VAE whose codes follow N(0, I), the
    /// Φ⁻¹-spaced grid of Kingma &amp; Welling), z₂ growing upwards. False unless D = 2 and the data are images.
    /// </summary>
    public static bool SaveManifold(string path, Autoencoder model, Dataset data, int side = 20)
    {
        if (model.RepresentationSize != 2 || data.Shape.Kind != DataKind.Image || data.Count == 0 || model.Condition is not null) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var codes = Batched.Encode(model, data.Take(10_000));
        var levels = linspace(0.05, 0.95, side, dtype: codes.dtype, device: codes.device);
        var horizontal = codes[.., 0].quantile(levels);                                                  // [side]
        var vertical = codes[.., 1].quantile(levels).flip(0);                                            // [side], top row = largest z₂
        // [side, side, 2] with grid[i, j] = (horizontal[j], vertical[i]) -> [side², 2]
        var grid = stack([horizontal.unsqueeze(0).expand(side, side), vertical.unsqueeze(1).expand(side, side)], 2).reshape(side * side, 2);
        ImageGrid.Save(path, model.Decode(grid), columns: side, padding: 0);
        return true;
    }
}
