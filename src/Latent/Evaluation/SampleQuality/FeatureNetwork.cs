// The fixed classifier whose penultimate layer is the feature space of the sample-quality figures,
// the part Inception-v3's pool features play in FID (Heusel et al. 2017). Inception was trained on
// ImageNet and needs 299×299 colour images; for 28×28 Fashion-MNIST (and the 32×32 shapes) a small
// CNN trained on the data set's own labels is the common substitute (as in the Fréchet distances
// reported on MNIST-like data with a LeNet-style classifier), with the caveat that its numbers are
// comparable only with each other, never with published FIDs.
//
//   x [B, C, H, W] → conv 3×3 (32) → ReLU → max-pool 2 → conv 3×3 (32) → ReLU → max-pool 2
//     → conv 3×3 stride 2 (32) → ReLU → [B, 32·4·4] → linear (128) → ReLU = the features [B, 128]
//     → linear → the logits of every head, concatenated.
//
// A head is one classification target: Fashion-MNIST's label (10 classes), or each factor of shapes
// (shape, and the 10 bins of scale, rotation phase, x and y: GroundTruthFactors), so that its
// features see position, size and orientation as well as the kind of shape. The loss is the sum of
// the heads' cross-entropies. `latent feature-network` trains one (Adam 1e-3, batch 128, every draw
// seeded) and saves it; Latent ships the two it trained (Networks/*.safetensors, embedded in the
// library), so that every user scores samples in the same feature space.

using Latent.Nn;
using System.Diagnostics;
using System.Globalization;
using Latent.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Evaluation.SampleQuality;

/// <summary>A small CNN classifier whose 128 penultimate activations are a feature space for comparing image distributions.</summary>
public sealed class FeatureNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>Width of the feature layer.</summary>
    public const int FeatureSize = 128;

    /// <summary>Channels of each convolution.</summary>
    public const int Channels = 32;

    /// <summary>Examples per optimiser step and per forward pass.</summary>
    public const int BatchSize = 128;

    private readonly Sequential convolutions;
    private readonly Linear embedding;
    private readonly Linear classifier;
    readonly int[] _heads;

    /// <summary>A network for images of <paramref name="shape"/> with one head of each size in <paramref name="heads"/>.</summary>
    public FeatureNetwork(DataShape shape, IReadOnlyList<int> heads) : base(nameof(FeatureNetwork))
    {
        if (shape.Kind != DataKind.Image) throw new ArgumentException($"a feature network reads images, not {shape}", nameof(shape));
        Shape = shape;
        _heads = heads.ToArray();
        convolutions = nn.Sequential(
            nn.Conv2d(shape.Channels, Channels, kernel_size: 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(Channels, Channels, kernel_size: 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(Channels, Channels, kernel_size: 3, stride: 2, padding: 1), nn.ReLU());
        int side(int length) => ((length / 4) + 2 - 3) / 2 + 1;
        embedding = nn.Linear(Channels * side(shape.Height) * side(shape.Width), FeatureSize);
        classifier = nn.Linear(FeatureSize, _heads.Sum());
        RegisterComponents();
    }

    /// <summary>The images the network reads.</summary>
    public DataShape Shape { get; }

    /// <summary>Classes of each head, in order.</summary>
    public IReadOnlyList<int> Heads => _heads;

    /// <summary>x [B, C, H, W] in [0, 1] → the 128 features [B, 128] (after the ReLU).</summary>
    public Tensor Features(Tensor x) => nn.functional.relu(embedding.forward(convolutions.forward(x).flatten(1)));

    /// <summary>x → the logits of every head, concatenated [B, Σ classes].</summary>
    public override Tensor forward(Tensor x) => classifier.forward(Features(x));

    /// <summary>Sum over heads of the mean cross-entropy; targets [B, heads] int64.</summary>
    Tensor Loss(Tensor x, Tensor targets)
    {
        var logits = forward(x);
        Tensor? total = null;
        int offset = 0;
        for (int head = 0; head < _heads.Length; head++)
        {
            var loss = nn.functional.cross_entropy(logits.narrow(1, offset, _heads[head]), targets[.., head]);
            total = total is null ? loss : total + loss;
            offset += _heads[head];
        }
        return total!;
    }

    /// <summary>
    /// Trains a network on <paramref name="train"/> with one head per target ([head][example] classes
    /// of <paramref name="heads"/>[head] values) for <paramref name="epochs"/> epochs; every draw
    /// (initial weights, order) comes from <paramref name="seed"/>.
    /// </summary>
    public static FeatureNetwork Train(Dataset train, IReadOnlyList<int[]> targets, IReadOnlyList<int> heads, int epochs, int seed,
                                       Action<string>? progress = null)
    {
        manual_seed(seed);
        var network = new FeatureNetwork(train.Shape, heads);
        using var labels = TargetTensor(targets);
        int examples = train.Count, steps = (examples + BatchSize - 1) / BatchSize;
        using var optimizer = new Latent.Training.Adam(network.named_parameters());
        network.train();
        var clock = Stopwatch.StartNew();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = Shuffle.Permutation(examples, Shuffle.Derive(seed, epoch));
            double sum = 0;
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                int start = step * BatchSize, size = Math.Min(BatchSize, examples - start);
                using var index = tensor(order.AsSpan(start, size).ToArray().Select(i => (long)i).ToArray());
                optimizer.ZeroGrad();
                var loss = network.Loss(train.Features.index_select(0, index), labels.index_select(0, index));
                loss.backward();
                optimizer.Step(1e-3);
                sum += loss.item<float>() * size;
            }
            progress?.Invoke($"epoch {epoch + 1}/{epochs}: loss {sum / examples:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        network.eval();
        return network;
    }

    /// <summary>
    /// The targets a network for data like <paramref name="data"/> is trained on: the factors of shapes
    /// (as <see cref="Disentanglement.GroundTruthFactors"/> makes them discrete), or the labels.
    /// </summary>
    public static (string[] Names, int[][] Targets, int[] Heads) TargetsOf(Dataset data)
    {
        if (Disentanglement.GroundTruthFactors.Known(data))
        {
            var factors = Disentanglement.GroundTruthFactors.Discretise(data);
            return (factors.Select(f => f.Name).ToArray(), factors.Select(f => f.Classes).ToArray(), factors.Select(f => f.ClassCount).ToArray());
        }
        if (data.Labels is null) throw new UserInputException("a feature network is trained on labels (or the factors of shapes), and this data has none; pass labelled images");
        return (["label"], [data.Labels], [data.ClassCount]);
    }

    /// <summary>
    /// Trains a network on <paramref name="train"/>, measures it on <paramref name="test"/>, and returns
    /// it with the metadata <see cref="Save"/> records: the data, epochs, seed, heads and test accuracy.
    /// </summary>
    public static (FeatureNetwork Network, Dictionary<string, string> Metadata) TrainFor(string dataName, Dataset train, Dataset test, int epochs, int seed,
                                                                                      Action<string>? progress = null)
    {
        var (names, targets, heads) = TargetsOf(train);
        var network = Train(train, targets, heads, epochs, seed, progress);
        var accuracy = network.Accuracy(test, TargetsOf(test).Targets);
        var metadata = new Dictionary<string, string>
        {
            ["data"] = dataName,
            ["training_examples"] = train.Count.ToString(CultureInfo.InvariantCulture),
            ["epochs"] = epochs.ToString(CultureInfo.InvariantCulture),
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["targets"] = string.Join(",", names),
            ["test_accuracy"] = names.Length == 1
                ? accuracy[0].ToString("F4", CultureInfo.InvariantCulture)
                : string.Join(", ", names.Zip(accuracy, (name, a) => $"{name} {a.ToString("F4", CultureInfo.InvariantCulture)}")),
        };
        return (network, metadata);
    }

    /// <summary>The accuracy of each head on <paramref name="data"/> with targets [head][example].</summary>
    public double[] Accuracy(Dataset data, IReadOnlyList<int[]> targets)
    {
        eval();
        using var noGrad = no_grad();
        var correct = new long[_heads.Length];
        int start = 0;
        foreach (var batch in data.Batches(500))
        {
            using var scope = NewDisposeScope();
            var logits = forward(batch);
            int offset = 0;
            for (int head = 0; head < _heads.Length; head++)
            {
                var predicted = logits.narrow(1, offset, _heads[head]).argmax(1).data<long>().ToArray();
                for (int i = 0; i < predicted.Length; i++) if (predicted[i] == targets[head][start + i]) correct[head]++;
                offset += _heads[head];
            }
            start += (int)batch.shape[0];
        }
        return correct.Select(c => c / (double)data.Count).ToArray();
    }

    /// <summary>Writes the weights with their provenance (<paramref name="metadata"/>, plus the shape and heads) as safetensors.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var all = new Dictionary<string, string>(metadata)
        {
            ["channels"] = Shape.Channels.ToString(CultureInfo.InvariantCulture),
            ["height"] = Shape.Height.ToString(CultureInfo.InvariantCulture),
            ["width"] = Shape.Width.ToString(CultureInfo.InvariantCulture),
            ["heads"] = string.Join(",", _heads),
        };
        SafeTensors.Save(path, ModuleWeights.Of(this), all);
    }

    /// <summary>A network saved by <see cref="Save"/>, read from <paramref name="stream"/> (<paramref name="source"/> names it in errors).</summary>
    public static (FeatureNetwork Network, IReadOnlyDictionary<string, string> Metadata) Load(Stream stream, string source)
    {
        var (tensors, metadata) = SafeTensors.Load(stream, source);
        try
        {
            int Number(string key) => int.Parse(metadata[key], CultureInfo.InvariantCulture);
            var shape = DataShape.Image(Number("channels"), Number("height"), Number("width"));
            var heads = metadata["heads"].Split(',').Select(h => int.Parse(h, CultureInfo.InvariantCulture)).ToArray();
            var network = new FeatureNetwork(shape, heads);
            ModuleWeights.Load(network, tensors, source);
            network.eval();
            return (network, metadata);
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <summary>Targets [head][example] → [example, head] int64.</summary>
    static Tensor TargetTensor(IReadOnlyList<int[]> targets)
    {
        int n = targets[0].Length, heads = targets.Count;
        var flat = new long[n * heads];
        for (int i = 0; i < n; i++)
            for (int head = 0; head < heads; head++) flat[i * heads + head] = targets[head][i];
        return tensor(flat, [n, heads]);
    }
}
