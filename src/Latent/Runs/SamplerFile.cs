using Latent.Nn;
using System.Globalization;
using System.Security.Cryptography;
using Latent.Models.Sampling;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// An ex-post prior over the latent codes of a trained autoencoder (Ghosh et al. 2020, "From
/// variational to deterministic autoencoders", §4; pythae's GaussianMixtureSampler): fitted once
/// to the codes of the training split and kept in the run directory (written atomically) beside a
/// fingerprint of the weights it was fitted to, so that a retrained model is refitted.
/// </summary>
public static class SamplerFile
{
    /// <summary>The file a sampler lives in, inside the run directory.</summary>
    public static string FileName(SamplerKind kind, int components) =>
        kind == SamplerKind.Gaussian ? "sampler-gaussian.safetensors" : $"sampler-gmm-{components}.safetensors";

    /// <summary>The cached sampler's tensors, or null when the file is unreadable: it is only a cache, so it is refitted.</summary>
    static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata)? TryLoad(string path)
    {
        try
        {
            return SafeTensors.Load(path);
        }
        catch (UserInputException)
        {
            return null;
        }
    }

    /// <summary>
    /// The fitted mixture in <paramref name="path"/> if it was fitted to the current weights (its
    /// fingerprint matches), otherwise a new fit to <paramref name="codes"/>, saved there.
    /// </summary>
    public static (GaussianMixture Mixture, bool Reused) LoadOrFit(string path, string weightsPath, SamplerKind kind, int components,
                                                                    Func<Tensor> codes, long seed)
    {
        if (kind == SamplerKind.Prior) throw new ArgumentException("the model's own prior is not fitted", nameof(kind));
        int count = kind == SamplerKind.Gaussian ? 1 : components;
        UserPaths.RequireWritableFile(path, "sampler file", "move it out of the way");
        string fingerprint = Fingerprint(weightsPath);
        if (File.Exists(path) && TryLoad(path) is var (tensors, metadata))
        {
            try
            {
                if (metadata.GetValueOrDefault("weights_sha256") == fingerprint && tensors.TryGetValue("weights", out var weights)
                    && tensors.TryGetValue("means", out var means) && tensors.TryGetValue("covariances", out var covariances)
                    && weights.shape[0] == count)
                    return (GaussianMixture.FromParameters(weights, means, covariances), true);
            }
            finally { foreach (var tensor in tensors.Values) tensor.Dispose(); }
        }
        using var all = codes();
        var mixture = GaussianMixture.Fit(all, count, seed);
        SafeTensors.Save(path, [("weights", mixture.Weights), ("means", mixture.Means), ("covariances", mixture.Covariances)],
            new Dictionary<string, string>
            {
                ["kind"] = kind.ToString().ToLowerInvariant(),
                ["components"] = count.ToString(CultureInfo.InvariantCulture),
                ["codes"] = all.shape[0].ToString(CultureInfo.InvariantCulture),
                ["mean_log_likelihood"] = mixture.FittedLogLikelihood.ToString("R", CultureInfo.InvariantCulture),
                ["em_iterations"] = mixture.Iterations.ToString(CultureInfo.InvariantCulture),
                ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
                ["weights_sha256"] = fingerprint,
            });
        return (mixture, false);
    }

    /// <summary>SHA-256 of a weights file, hex.</summary>
    public static string Fingerprint(string weightsPath)
    {
        try
        {
            using var stream = File.OpenRead(weightsPath);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(weightsPath, error, "check the file, or wait for the process that holds it");
        }
    }
}
