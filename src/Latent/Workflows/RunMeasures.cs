using Latent.Data;
using Latent.Evaluation;
using Latent.Evaluation.Disentanglement;
using Latent.Evaluation.SampleQuality;
using Latent.Models;
using Latent.Models.Sampling;
using Latent.Runs;

namespace Latent.Workflows;

/// <summary>
/// The measures of <c>latent eval --disentanglement</c> and <c>--sample-quality</c> on a run: every
/// reason to refuse them is checked by <see cref="Prepare"/>, before any other work; <see cref="Measure"/>
/// then computes them and writes their side files into the run (disentanglement.json and
/// disentanglement-codes.csv, the fitted sampler when one is asked for).
/// </summary>
public sealed class RunMeasures : IDisposable
{
    readonly RunDirectory _run;
    readonly Autoencoder _model;
    readonly Dataset _test;
    readonly EvaluationOptions _options;
    readonly ModelSampler? _sampler;
    readonly Action<string> _progress;

    RunMeasures(RunDirectory run, Autoencoder model, Dataset test, EvaluationOptions options, ModelSampler? sampler, Action<string> progress)
    {
        (_run, _model, _test, _options, _sampler, _progress) = (run, model, test, options, sampler, progress);
    }

    /// <summary>
    /// Checks that what <paramref name="options"/> ask for applies to this model and data, and picks the
    /// sampler (<paramref name="samplerGiven"/>: whether the command line chose one, which only
    /// --sample-quality uses). Throws a <see cref="UserInputException"/> otherwise.
    /// </summary>
    public static RunMeasures Prepare(RunDirectory run, Manifest manifest, Autoencoder model, Dataset test, EvaluationOptions options,
                                      SamplerOptions sampler, bool samplerGiven, Action<string> progress)
    {
        options.Validate();
        if (samplerGiven && !options.SampleQuality)
            throw new UserInputException(
                $"{nameof(SamplerOptions.Sampler)} and {nameof(SamplerOptions.Components)} choose the samples of {nameof(EvaluationOptions.SampleQuality)}; add {nameof(EvaluationOptions.SampleQuality)} or drop them",
                nameof(SamplerOptions.Sampler), nameof(SamplerOptions.Components), nameof(EvaluationOptions.SampleQuality));
        if (options.Disentanglement) DisentanglementEvaluation.CheckApplies(model, test);
        ModelSampler? chosen = null;
        if (options.SampleQuality)
        {
            SampleQualityEvaluation.CheckApplies(test);
            chosen = ModelSampler.For(model, sampler, manifest.Family, run.Path, run.ModelPath, () => Training(options), manifest.Training?.Seed ?? 0, progress);
        }
        return new RunMeasures(run, model, test, options, chosen, progress);
    }

    /// <summary>The figures asked for; the side files are written once all of them are computed.</summary>
    public IReadOnlyDictionary<string, double> Measure()
    {
        var figures = new Dictionary<string, double>();
        DisentanglementResult? disentanglement = null;
        if (_options.Disentanglement)
        {
            _progress($"disentanglement: codes of {_test.Count} test examples against their factors");
            disentanglement = DisentanglementEvaluation.Evaluate(_model, _test, _options.BatchSize);
            foreach (var (key, value) in disentanglement.Figures) figures[key] = value;
        }
        if (_sampler is not null)
        {
            _progress($"sample quality: {_test.Count} samples from {_sampler.Description}");
            var quality = SampleQualityEvaluation.Evaluate(_sampler.Draw, _test, () => Training(_options), _options.SampleBaselines, _progress);
            foreach (var (key, value) in quality.Figures) figures[key] = value;
        }
        if (disentanglement is not null)
        {
            AtomicFile.WriteAllText(_run.File(DisentanglementEvaluation.FileName), disentanglement.ToJson());
            AtomicFile.WriteAllText(_run.File(DisentanglementEvaluation.CodesFileName), disentanglement.ToCsv());
        }
        return figures;
    }

    static Dataset Training(EvaluationOptions options) =>
        options.TrainingSplit?.Value ?? throw new ArgumentException("sample quality needs the training split: set EvaluationOptions.TrainingSplit", nameof(options));

    /// <inheritdoc/>
    public void Dispose() => _sampler?.Dispose();
}
