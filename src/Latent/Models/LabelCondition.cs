// Conditional generation (Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep
// Conditional Generative Models", the CVAE): the encoder sees [x, y] and the decoder [z, y], with y the one-hot
// label, so that the decoder learns p(x | z, y) and decoding z ~ p(z) with a chosen y draws an example of that class.
// The same conditioning serves the plain autoencoder (a label-conditioned decoder). For a conv encoder y enters as
// K constant input channels (as PyTorch-VAE's ConditionalVAE adds its class map as an extra channel): the conv stack
// is unchanged but for its input channels, and the first layer sees the label at every position.

using Latent.Data;
using static TorchSharp.torch;

namespace Latent.Models;

/// <summary>What a model is conditioned on (<c>Condition</c>).</summary>
public enum Conditioning
{
    /// <summary>Nothing: an unconditional model.</summary>
    None,

    /// <summary>The example's class label, one-hot, fed to the encoder and to the decoder (a CVAE).</summary>
    Label,
}

/// <summary>
/// The label conditioning of a model built with <c>Condition label</c>: how the one-hot label y joins the
/// encoder's input and the decoder's code, and the labels of the batch the model works on now. Labels are given
/// for a scope (<see cref="Given"/>, or <see cref="Autoencoder.Given"/>), so that every path through the model's
/// encoder and decoder — the loss, the bounds, the figures — sees them without each passing them on.
/// </summary>
public sealed class LabelCondition
{
    Tensor? _labels;

    /// <summary>A conditioning on <paramref name="classCount"/> classes.</summary>
    public LabelCondition(int classCount)
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "conditioning needs at least two classes");
        ClassCount = classCount;
    }

    /// <summary>K, the classes a label can take; the one-hot y has K entries.</summary>
    public int ClassCount { get; }

    /// <summary>Whether labels are given now.</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>The shape the encoder reads: the image with K more channels (conv), or the flattened example with K more entries (MLP).</summary>
    public DataShape EncoderShape(ModelOptions options, DataShape shape) => options.Arch == Architecture.Conv
        ? shape with { Channels = shape.Channels + ClassCount }
        : DataShape.Table(shape.Size + ClassCount);

    /// <summary>
    /// Gives <paramref name="labels"/> [B] (int64, in [0, K)) to the model until the result is disposed; the labels
    /// given before are restored then. The caller keeps ownership of the tensor.
    /// </summary>
    public IDisposable Given(Tensor labels)
    {
        if (labels.dim() != 1) throw new ArgumentException($"labels are one per example, [B]; got [{string.Join(", ", labels.shape)}]", nameof(labels));
        if (labels.numel() > 0)
        {
            long lowest = labels.min().item<long>(), highest = labels.max().item<long>();
            if (lowest < 0 || highest >= ClassCount)
                throw new UserInputException($"label {(lowest < 0 ? lowest : highest)} is not one of the {ClassCount} classes this run is conditioned on; pass a label from 0 to {ClassCount - 1}");
        }
        var previous = _labels;
        _labels = labels;
        return new Restore(() => _labels = previous);
    }

    /// <summary>x [B, ...shape] → the encoder's input [x, y]: [B, C + K, H, W] for a conv encoder, [B, size + K] for an MLP.</summary>
    public Tensor AppendToInput(Tensor x, Architecture architecture)
    {
        var oneHot = OneHot(x);                                                             // [B, K]
        if (architecture != Architecture.Conv) return cat([x.flatten(1), oneHot], 1);       // [B, ...shape] -> [B, size + K]
        // [B, K] -> [B, K, 1, 1] -> [B, K, H, W]: constant channels, one per class.
        var channels = oneHot.unsqueeze(-1).unsqueeze(-1).expand(oneHot.shape[0], ClassCount, x.shape[2], x.shape[3]);
        return cat([x, channels], 1);
    }

    /// <summary>z [N, D] → the decoder's input [z, y], [N, D + K]. N may be S·B (S draws per example, draw-major), as the importance-weighted bounds decode them.</summary>
    public Tensor AppendToCode(Tensor z) => cat([z, OneHot(z)], 1);

    /// <summary>The one-hot labels for <paramref name="rows"/>' leading axis: [N, K], repeated when N is a multiple of the B labels given.</summary>
    Tensor OneHot(Tensor rows)
    {
        var labels = _labels ?? throw new UserInputException(
            $"this model is conditioned on labels ({nameof(ModelOptions.Condition)} label) but none were given; pass the examples' labels (data with labels, or a label to sample)", nameof(ModelOptions.Condition));
        long count = rows.shape[0], given = labels.shape[0];
        if (given == 0 || count % given != 0)
            throw new ArgumentException($"{given} labels given for {count} rows; give one label per example");
        var oneHot = nn.functional.one_hot(labels.to(ScalarType.Int64, rows.device), ClassCount).to(rows.dtype);   // [B, K]
        return count == given ? oneHot : oneHot.repeat(count / given, 1);                                          // [S·B, K], draw-major
    }

    /// <summary><paramref name="count"/> labels in equal shares of every class, in blocks: the first count/K are 0, the next 1, ….</summary>
    public Tensor EqualShares(int count) =>
        (arange(count, dtype: ScalarType.Int64) * ClassCount).div(Math.Max(1, count), rounding_mode: RoundingMode.floor);

    /// <summary>
    /// The class a user names: its number (0 to K − 1) or its name in <paramref name="names"/> (case-insensitive,
    /// e.g. "sneaker"); a one-line <see cref="UserInputException"/> listing the labels otherwise.
    /// </summary>
    public int Resolve(string label, IReadOnlyList<string>? names)
    {
        var text = label.Trim();
        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int number)
            && number >= 0 && number < ClassCount) return number;
        int named = names?.ToList().FindIndex(name => string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) ?? -1;
        if (named >= 0 && named < ClassCount) return named;
        string choices = names is { Count: > 0 } ? $"0 to {ClassCount - 1} or one of {string.Join(", ", names.Take(ClassCount))}" : $"0 to {ClassCount - 1}";
        throw new UserInputException($"label '{label}' is not one of the {ClassCount} classes this run is conditioned on; pass {choices}");
    }

    /// <summary>The labels of examples <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> of <paramref name="data"/>, [length] int64.</summary>
    public static Tensor LabelsOf(Dataset data, int start, int length) => tensor(RequireLabels(data).AsSpan(start, length).ToArray().Select(label => (long)label).ToArray());

    /// <summary>The labels of the examples at <paramref name="indices"/> of <paramref name="data"/>, [B] int64.</summary>
    public static Tensor LabelsOf(Dataset data, ReadOnlySpan<int> indices)
    {
        var labels = RequireLabels(data);
        var picked = new long[indices.Length];
        for (int i = 0; i < indices.Length; i++) picked[i] = labels[indices[i]];
        return tensor(picked);
    }

    static int[] RequireLabels(Dataset data) => data.Labels ?? throw new UserInputException(
        $"this model is conditioned on labels ({nameof(ModelOptions.Condition)} label) but the data have none; pass data with labels (e.g. shapes, fashion-mnist)", nameof(ModelOptions.Condition));

    sealed class Restore(Action restore) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            restore();
        }
    }
}
