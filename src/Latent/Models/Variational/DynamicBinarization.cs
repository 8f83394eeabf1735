// Dynamic binarisation (Salakhutdinov & Murray 2008, "On the quantitative analysis of deep belief networks";
// the protocol of Burda, Grosse & Salakhutdinov 2016, "Importance weighted autoencoders", §5): grey levels p
// are read as the probabilities of binary pixels, and the model is trained on draws x ~ Bernoulli(p), a fresh
// one every time an example is seen, so that the Bernoulli likelihood is a density of the (binary) data.
// The test split is binarised once, with a fixed seed, so that every evaluation of every run scores the same
// binary images and −ELBO and IWAE are comparable negative log-likelihoods.

using Latent.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Latent.Models.Variational;

/// <summary>Binary pixels drawn from grey levels: fresh ones for training, a fixed draw of a whole split for evaluation.</summary>
public static class DynamicBinarization
{
    /// <summary>The seed of the one binarisation of an evaluated split (the same for every run and every evaluation).</summary>
    public const long EvaluationSeed = 0xB1A5;

    /// <summary>x ~ Bernoulli(p) element by element, p [B, ...] in [0, 1], from <paramref name="generator"/> (torch's global one when null). Binary p stay as they are.</summary>
    public static Tensor Draw(Tensor probabilities, Generator? generator = null) =>
        bernoulli(probabilities.clamp(0, 1), generator);

    /// <summary>
    /// <paramref name="data"/> with every pixel replaced by one draw from Bernoulli(pixel), seeded by
    /// <see cref="EvaluationSeed"/> and drawn in the order of the examples, so that it depends on neither the
    /// batch size nor torch's global generator; labels and factors are kept.
    /// </summary>
    public static Dataset Fixed(Dataset data)
    {
        using var generator = new Generator((ulong)EvaluationSeed);
        var features = data.Features;
        var binary = Draw(features, generator).DetachFromDisposeScope();
        return new Dataset(binary, data.Shape, data.Labels, data.LabelNames, data.Factors);
    }
}
