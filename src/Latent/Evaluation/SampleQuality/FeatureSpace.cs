// Where the sample-quality figures compare examples. For the two data sets Latent trained a
// FeatureNetwork for (Fashion-MNIST, the built-in shapes), its 128 penultimate activations; for any
// other data, a documented fallback that needs no training:
//
//   other images: the coordinates in the top min(64, pixels) principal components of the run's training
//                 split (closed-form PCA, not whitened, so distances are pixel distances within that
//                 subspace);
//   table rows:   the raw features, each standardised by the training split's mean and standard
//                 deviation (columns that do not vary are left centred, unscaled).
//
// The fallbacks make distances comparable between runs on the same data, not with the network's.

using Latent.Data;
using Latent.Data.Sources;
using Latent.Evaluation.Disentanglement;
using Latent.Models.Pca;
using static TorchSharp.torch;

namespace Latent.Evaluation.SampleQuality;

/// <summary>A fixed map from examples to feature vectors in which generated and real examples are compared.</summary>
public abstract class FeatureSpace : IDisposable
{
    /// <summary>Principal components of the image fallback.</summary>
    public const int FallbackComponents = 64;

    /// <summary>What the features are, for the report and the command's output.</summary>
    public abstract string Description { get; }

    /// <summary>A short code, recorded as a number in eval.json: 1 Fashion-MNIST network, 2 shapes network, 3 PCA of images, 4 standardised table rows.</summary>
    public abstract int Code { get; }

    /// <summary>examples [N, ...shape] → features [N, F], float32, in batches without gradients.</summary>
    public Tensor Features(Tensor examples, int batchSize = 500)
    {
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < examples.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            parts.Add(Map(examples.narrow(0, start, Math.Min(batchSize, examples.shape[0] - start))).to(ScalarType.Float32).MoveToOuterDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }

    /// <summary>One batch of examples → its features.</summary>
    protected abstract Tensor Map(Tensor batch);

    /// <summary>Frees the tensors and networks of the feature space.</summary>
    public abstract void Dispose();

    /// <summary>
    /// The feature space for data like <paramref name="test"/>: the Fashion-MNIST network for 28×28 grey
    /// images with Fashion-MNIST's ten class names, the shapes network for 32×32 grey images with the
    /// factors of shapes, otherwise the fallback fitted to <paramref name="training"/> (loaded only then).
    /// </summary>
    public static FeatureSpace For(Dataset test, Func<Dataset> training)
    {
        if (test.Shape == DataShape.Image(1, 28, 28) && test.LabelNames is { } names && names.SequenceEqual(IdxSource.FashionMnistLabelNames))
            return NetworkFeatures.Embedded(NetworkFeatures.FashionMnist, 1);
        if (test.Shape == DataShape.Image(1, ShapesSource.Size, ShapesSource.Size) && GroundTruthFactors.Known(test))
            return NetworkFeatures.Embedded(NetworkFeatures.Shapes, 2);
        return test.Shape.Kind switch
        {
            DataKind.Image => new PrincipalFeatures(training()),
            DataKind.Table => new StandardisedFeatures(training()),
            _ => throw new UserInputException($"{nameof(EvaluationOptions.SampleQuality)} compares images or table rows, not {test.Shape}", nameof(EvaluationOptions.SampleQuality)),
        };
    }
}

/// <summary>The penultimate layer of a FeatureNetwork shipped with Latent.</summary>
public sealed class NetworkFeatures : FeatureSpace
{
    /// <summary>The resource names of the shipped networks (Evaluation/SampleQuality/Networks/).</summary>
    public const string FashionMnist = "fashion-mnist.safetensors", Shapes = "shapes.safetensors";

    readonly FeatureNetwork _network;
    readonly int _code;

    /// <summary>The features of a fixed classifier network.</summary>
    /// <param name="network">The network, with its weights loaded.</param>
    /// <param name="metadata">The metadata of its weights file (what it was trained on, its accuracy).</param>
    /// <param name="code">Width of its penultimate layer, the feature vector.</param>
    public NetworkFeatures(FeatureNetwork network, IReadOnlyDictionary<string, string> metadata, int code)
    {
        _network = network;
        _code = code;
        Metadata = metadata;
    }

    /// <summary>How the network was trained (data, epochs, seed, test accuracy of each head, the command).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc/>
    public override string Description =>
        $"the 128 penultimate activations of Latent's {Metadata.GetValueOrDefault("data", "?")} classifier (test accuracy {Metadata.GetValueOrDefault("test_accuracy", "?")})";

    /// <inheritdoc/>
    public override int Code => _code;

    /// <inheritdoc/>
    protected override Tensor Map(Tensor batch) => _network.Features(batch);

    /// <inheritdoc/>
    public override void Dispose() => _network.Dispose();

    /// <summary>A network embedded in the library, by file name.</summary>
    public static NetworkFeatures Embedded(string name, int code)
    {
        var resource = $"Latent.FeatureNetworks.{name}";
        using var stream = typeof(NetworkFeatures).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the library lacks its embedded feature network {resource}");
        var (network, metadata) = FeatureNetwork.Load(stream, resource);
        return new NetworkFeatures(network, metadata, code);
    }
}

/// <summary>Coordinates in the top principal components of the training split (the fallback for images).</summary>
public sealed class PrincipalFeatures : FeatureSpace
{
    readonly PcaModel _pca;

    /// <summary>A PCA of <paramref name="training"/>'s rows, for tables that no fixed network covers.</summary>
    public PrincipalFeatures(Dataset training)
    {
        int components = Math.Min(FallbackComponents, Math.Min(training.Shape.Size, training.Count - 1));
        if (components < 1) throw new UserInputException($"{nameof(EvaluationOptions.SampleQuality)} needs at least two training examples to fit its feature space", nameof(EvaluationOptions.SampleQuality));
        _pca = PcaModel.Fitted(training, components);
    }

    /// <inheritdoc/>
    public override string Description => $"the coordinates in the top {_pca.Options.LatentDim} principal components of the training split";

    /// <inheritdoc/>
    public override int Code => 3;

    /// <inheritdoc/>
    protected override Tensor Map(Tensor batch) => _pca.Encode(batch);

    /// <inheritdoc/>
    public override void Dispose() => _pca.Dispose();
}

/// <summary>Each column standardised by the training split's mean and standard deviation (the fallback for tables).</summary>
public sealed class StandardisedFeatures : FeatureSpace
{
    readonly Tensor _mean, _scale;

    /// <summary>The rows of a table standardised by <paramref name="training"/>'s column means and deviations.</summary>
    public StandardisedFeatures(Dataset training)
    {
        using var scope = NewDisposeScope();
        var rows = training.Features.reshape(training.Count, -1).to(ScalarType.Float64);
        _mean = rows.mean([0]).MoveToOuterDisposeScope();
        var deviation = rows.std(0);
        _scale = where(deviation > 0, deviation, ones_like(deviation)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override string Description => "the raw features, standardised by the training split's mean and standard deviation";

    /// <inheritdoc/>
    public override int Code => 4;

    /// <inheritdoc/>
    protected override Tensor Map(Tensor batch) => (batch.reshape(batch.shape[0], -1).to(ScalarType.Float64) - _mean) / _scale;

    /// <inheritdoc/>
    public override void Dispose()
    {
        _mean.Dispose();
        _scale.Dispose();
    }
}
