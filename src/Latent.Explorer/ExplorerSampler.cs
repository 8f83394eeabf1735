// Where the sample panel's codes come from: the model's own prior where it has one (N(0, I) for a VAE,
// the code prior of a VQ-VAE), else an ex-post Gaussian mixture fitted to the training codes (Ghosh et
// al. 2020, §4), the sampler of 'latent sample --sampler gmm', kept in the explorer's cache.

using Latent.Data;
using Latent.Models;
using Latent.Models.Sampling;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Explorer;

/// <summary>Draws new examples for the sample panel, seeded, one call at a time through the <see cref="ModelGate"/>.</summary>
public sealed class ExplorerSampler : IDisposable
{
    /// <summary>Components of the fitted mixture: the default of <c>latent sample --sampler gmm</c>.</summary>
    public const int MixtureComponents = 10;

    /// <summary>The mixture is fitted to the codes of at most this many training examples (EM on all 54 000 takes long).</summary>
    public const int MixtureExamples = 10_000;

    /// <summary>Codes wider than this get no mixture: a full-covariance EM fit would take minutes.</summary>
    public const int MixtureMaxDimension = 128;

    readonly Autoencoder _model;
    readonly ModelGate _gate;
    readonly Func<Dataset>? _trainingSplit;
    readonly string? _cachePath;
    readonly string _weightsPath;
    readonly long _seed;
    readonly object _fitLock = new();
    GaussianMixture? _mixture;

    ExplorerSampler(Autoencoder model, ModelGate gate, string description, Func<Dataset>? trainingSplit, string? cachePath, string weightsPath, long seed)
    {
        _model = model;
        _gate = gate;
        Description = description;
        _trainingSplit = trainingSplit;
        _cachePath = cachePath;
        _weightsPath = weightsPath;
        _seed = seed;
    }

    /// <summary>Where the draws come from, in words.</summary>
    public string Description { get; }

    /// <summary>
    /// The sampler for a run, or null with the reason when there is none: a VQ-VAE whose prior is not
    /// fitted, or a wide code (see <see cref="MixtureMaxDimension"/>).
    /// </summary>
    public static (ExplorerSampler? Sampler, string? Reason) For(RunDirectory run, Manifest manifest, Autoencoder model, bool discrete,
                                                                  ExplorerCache cache, DataOptions data, ModelGate gate)
    {
        if (model is IGenerative generative)
        {
            if (!generative.CanSample)
                return (null, $"the prior of this run has not been fitted (its training stopped before that); run 'latent train --resume --out {run.Path}' to fit it");
            return (new ExplorerSampler(model, gate, discrete ? "the prior over codes, decoded" : "the model's prior, decoded", null, null, run.ModelPath, 0), null);
        }
        if (discrete) return (null, "this model's codes are discrete and it has no prior over them");
        if (model.RepresentationSize > MixtureMaxDimension)
            return (null, $"its codes have {model.RepresentationSize} dimensions, too many for a Gaussian mixture fitted here (at most {MixtureMaxDimension}); 'latent sample --sampler gmm' fits one");

        // Reuse a mixture that 'latent sample' already fitted in the run (read, never written), else fit one into the cache.
        string file = LatentPrior.FileName(SamplerKind.Gmm, MixtureComponents);
        string cachePath = cache.File(file);
        if (!File.Exists(cachePath) && File.Exists(run.File(file))) cache.Try(() => { Directory.CreateDirectory(cache.Folder); File.Copy(run.File(file), cachePath); });
        var description = $"a {MixtureComponents}-component Gaussian mixture fitted to the codes of training examples, decoded";
        return (new ExplorerSampler(model, gate, description, () => RunData.Load(manifest, data, DataSplit.Train), cachePath, run.ModelPath,
                                    manifest.Training?.Seed ?? 0), null);
    }

    /// <summary><paramref name="count"/> decoded draws [count, ...shape] seeded with <paramref name="seed"/>, and the milliseconds they took.</summary>
    public (byte[] Png, double Milliseconds) Sample(int count, int seed)
    {
        var mixture = _trainingSplit is null ? null : Mixture();
        return _gate.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            manual_seed(seed);
            var images = mixture is null ? ((IGenerative)_model).Sample(count) : _model.Decode(mixture.Sample(count));
            return PngImages.Grid(images, (int)Math.Ceiling(Math.Sqrt(count)));
        });
    }

    /// <summary>The fitted mixture: loaded or fitted on first use (encoding through the gate, EM outside it).</summary>
    GaussianMixture Mixture()
    {
        lock (_fitLock)
        {
            if (_mixture is not null) return _mixture;
            Tensor EncodeTraining()
            {
                var train = _trainingSplit!();
                return _gate.Run(() => Batched.Encode(_model, train.Take(MixtureExamples))).Result;
            }
            try
            {
                _mixture = LatentPrior.LoadOrFit(_cachePath!, _weightsPath, SamplerKind.Gmm, MixtureComponents, EncodeTraining, _seed).Mixture;
            }
            catch (UserInputException error) when (error.Message.StartsWith("cannot write", StringComparison.Ordinal))
            {
                // The cache cannot be written: fit in memory.
                using var codes = EncodeTraining();
                _mixture = GaussianMixture.Fit(codes, MixtureComponents, _seed);
            }
            return _mixture;
        }
    }

    public void Dispose() => _mixture?.Dispose();
}
