using Latent.Data;
using Latent.Models;
using Latent.Models.Sampling;
using static TorchSharp.torch;

namespace Latent.Runs;

/// <summary>
/// Where new examples of a trained model come from, for anything that scores samples: the model's own
/// prior (<see cref="IGenerative"/>), or an ex-post Gaussian or mixture over its training codes
/// (<see cref="SamplerFile"/>, cached in the run directory as <c>latent sample --sampler</c> caches it),
/// decoded. Choosing one refuses, in one line, a model that cannot sample the requested way.
/// </summary>
public sealed class ModelSampler : IDisposable
{
    readonly Autoencoder _model;
    readonly GaussianMixture? _mixture;

    ModelSampler(Autoencoder model, GaussianMixture? mixture, string description)
    {
        _model = model;
        _mixture = mixture;
        Description = description;
    }

    /// <summary>"the model's prior" or the fitted mixture, for output and reports.</summary>
    public string Description { get; }

    /// <summary>
    /// The sampler <paramref name="options"/> ask for (the model's prior when it has one and no
    /// --sampler is given); a fitted sampler is loaded from, or fitted and saved into,
    /// <paramref name="runDirectory"/>, keyed by the weights in <paramref name="weightsPath"/>, fitted to
    /// the codes of <paramref name="training"/> with <paramref name="seed"/>.
    /// </summary>
    public static ModelSampler For(Autoencoder model, SamplerOptions options, string family, string runDirectory, string weightsPath,
                                   Func<Dataset> training, long seed, Action<string>? progress = null)
    {
        options.Validate();
        var kind = options.Sampler ?? (model is IGenerative ? SamplerKind.Prior
            : throw new UserInputException($"a {family} model has no prior to sample from; pass {nameof(SamplerOptions.Sampler)} gmm (or gaussian) to fit one to its training codes, or train a vae", nameof(SamplerOptions.Sampler)));
        if (kind == SamplerKind.Prior && model is not IGenerative)
            throw new UserInputException($"a {family} model has no prior to sample from; pass {nameof(SamplerOptions.Sampler)} gmm (or gaussian) to fit one to its training codes", nameof(SamplerOptions.Sampler));
        if (kind == SamplerKind.Prior && model is IGenerative { CanSample: false })
            throw new UserInputException($"the prior of this run has not been fitted yet (its training stopped before that); resume its training ({LibraryNames.Resume}) to fit it, or pass {nameof(SamplerOptions.Sampler)} gmm",
                LibraryNames.Resume, nameof(SamplerOptions.Sampler));
        if (kind == SamplerKind.Prior) return new ModelSampler(model, null, "the model's prior");

        var path = Path.Combine(runDirectory, SamplerFile.FileName(kind, options.Components));
        var (mixture, reused) = SamplerFile.LoadOrFit(path, weightsPath, kind, options.Components, () =>
        {
            var train = training();
            progress?.Invoke($"fitting a {(kind == SamplerKind.Gaussian ? "Gaussian" : $"{options.Components}-component Gaussian mixture")} to the codes of {train.Count} training examples");
            return Batched.Encode(model, train);
        }, seed);
        if (reused) progress?.Invoke($"reusing the sampler in {path}");
        return new ModelSampler(model, mixture, kind == SamplerKind.Gaussian
            ? "a Gaussian fitted to the training codes" : $"a {mixture.Components}-component Gaussian mixture fitted to the training codes");
    }

    /// <summary><paramref name="count"/> new examples [count, ...shape], drawn with torch's global generator.</summary>
    public Tensor Draw(int count)
    {
        using var noGrad = no_grad();
        if (_mixture is null) return ((IGenerative)_model).Sample(count);
        using var scope = NewDisposeScope();
        using var shares = _model.Condition is { HasLabels: false } condition ? condition.Given(condition.EqualShares(count)) : null;  // a conditioned model: every class in equal shares
        return _model.Decode(_mixture.Sample(count)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose() => _mixture?.Dispose();
}
