using System.ComponentModel;
using Latent.Data;

namespace Latent.Models;

/// <summary>The network family that encoder and decoder are built from.</summary>
public enum Architecture
{
    /// <summary>Fully connected layers on the flattened example.</summary>
    Mlp,
    /// <summary>Stride-2 convolutions down, transposed convolutions up (images).</summary>
    Conv,
    /// <summary>A vision transformer over image patches.</summary>
    Vit,
    /// <summary>A transformer over token sequences.</summary>
    Transformer,
}

/// <summary>
/// Options every family shares. Each family derives a sealed record that adds its own; all of them
/// are bound from the command line by name (<c>LatentDim</c> is <c>--latent-dim</c>) and written
/// into the run's manifest.
/// </summary>
public abstract record ModelOptions : IOptionApplicability
{
    /// <summary>
    /// The name library messages give the choice of family, as if it were an option: "Arch mlp is not available for
    /// Family mae; pass Arch vit". It is listed among a message's options, so a front end respells it as it chooses
    /// families (the command line's <c>--model</c>).
    /// </summary>
    public const string FamilyOption = "Family";

    /// <summary>
    /// The network family the encoder and decoder are built from; <see cref="Architecture.Mlp"/> by default because it takes every data kind.
    /// Which architectures a family builds is declared once, in its catalogue entry (<c>ModelFamily.Architectures</c>).
    /// </summary>
    [Description("network that encoder and decoder are built from: mlp or conv (vit, transformer where the family supports them)")]
    public Architecture Arch { get; init; } = Architecture.Mlp;

    /// <summary>
    /// Dimension D of the latent space, the width of z [B, D] that <see cref="Autoencoder.Encode"/> returns (for PCA, the number of
    /// components K). 32 is small enough to compress a 28×28 image 24-fold and large enough to reconstruct it recognisably.
    /// </summary>
    [Description("dimension D of the latent space")]
    public int LatentDim { get; init; } = 32;

    /// <summary>
    /// Widths of the MLP encoder's hidden layers, from the input inwards; the decoder uses them in reverse. Applies to <see cref="Architecture.Mlp"/> only.
    /// </summary>
    [Description("widths of the MLP encoder's hidden layers, comma-separated; the decoder mirrors them")]
    public int[] Hidden { get; init; } = [512, 256];

    /// <summary>
    /// Output channels of the conv encoder's stride-2 stages (each halves height and width); the decoder's transposed convolutions
    /// mirror them. Applies to <see cref="Architecture.Conv"/> only; two stages take a 28×28 image to 7×7.
    /// </summary>
    [Description("channels of the conv encoder's stride-2 stages, comma-separated; the decoder mirrors them")]
    public int[] Channels { get; init; } = [32, 64];

    /// <summary>
    /// Whether table columns are standardised with the training split's mean and standard deviation before encoding (and restored
    /// after decoding); on by default because columns in different units would otherwise weigh in the loss by their scale. Tables and
    /// families that say so (<see cref="StandardizesTables"/>) only.
    /// </summary>
    [Description("table columns: yes standardises each with the training split's mean and spread (kept with the weights, undone on decode); no uses them as they are")]
    public Standardization Standardize { get; init; } = Standardization.Yes;

    /// <summary>What the model is conditioned on: nothing, or the example's label (a CVAE); for the families that can be conditioned.</summary>
    [Description("what the model is conditioned on: none, or label (a CVAE: the one-hot label joins the encoder's input and the decoder's code, so that samples can be drawn per label)")]
    public Conditioning Condition { get; init; } = Conditioning.None;

    /// <summary>K, the classes of the data a <see cref="Conditioning.Label"/> model is conditioned on: set from the data when training starts, recorded in the manifest.</summary>
    public int ConditionClasses { get; init; }

    /// <summary>
    /// How <c>--arch conv</c> pads images of this shape to multiples of 2^stages (the manifest records
    /// it and training prints it when it pads); null for other architectures and data.
    /// </summary>
    public Nn.ConvPadding? ConvPadding(DataShape shape) =>
        Arch == Architecture.Conv && shape.Kind == DataKind.Image ? new Nn.ConvPadding(shape.Height, shape.Width, Channels.Length) : null;

    /// <summary>
    /// Whether the option <paramref name="property"/> (a property name of this record) means something for
    /// this family with the architecture these options choose. The one place that says which options apply:
    /// validation rejects a changed option that does not, help lists only those that do, and the manifest
    /// records only those. Families override it for what they do not use.
    /// </summary>
    public virtual bool Uses(string property) => property switch
    {
        nameof(Hidden) => Arch == Architecture.Mlp,
        nameof(Channels) => Arch == Architecture.Conv,
        nameof(Standardize) => StandardizesTables && Arch == Architecture.Mlp,
        nameof(Condition) => ConditionsOnLabels,
        nameof(ConditionClasses) => ConditionsOnLabels && Condition == Conditioning.Label,
        _ => true,
    };

    /// <summary>Whether the family standardises table columns (<see cref="Standardize"/>); the families that do say so.</summary>
    protected virtual bool StandardizesTables => false;
    /// <summary>Whether the family can be conditioned on labels (<see cref="Condition"/>); the families that can say so.</summary>
    protected virtual bool ConditionsOnLabels => false;
    /// <summary>
    /// For help: when an option that the defaults do not use applies once another option is set, which one
    /// (e.g. "with --regulariser capacity"); null when there is no such condition.
    /// </summary>
    public virtual string? UsedWhen(string property) => null;
    /// <summary>A choice of these options, besides the architecture, that decides which of their other options apply (e.g. the VQ-VAE's quantizer); null when there is none.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public virtual OptionChoice? Choice => null;

    /// <summary>The options that do not apply (<see cref="Uses"/>) but differ from the family's defaults: set by mistake.</summary>
    public IEnumerable<string> UnusedButChanged()
    {
        var defaults = (ModelOptions)Activator.CreateInstance(GetType())!;
        foreach (var property in GetType().GetProperties().Where(p => p.CanWrite && p.GetCustomAttributes(typeof(DescriptionAttribute), true).Length > 0))
        {
            if (Uses(property.Name)) continue;
            var (value, initial) = (property.GetValue(this), property.GetValue(defaults));
            bool same = value is int[] a && initial is int[] b ? a.SequenceEqual(b) : Equals(value, initial);
            if (!same) yield return property.Name;
        }
    }

    /// <summary>Throws a <see cref="UserInputException"/> when the options cannot work with a training split of this many examples.</summary>
    public virtual void ValidateTrainingSet(long trainingExamples) { }

    /// <summary>Throws a <see cref="UserInputException"/> when the options cannot work on data of this shape.</summary>
    public virtual void Validate(DataShape shape)
    {
        if (Uses(nameof(LatentDim)) && LatentDim <= 0)
            throw new UserInputException($"{nameof(LatentDim)} {LatentDim} must be positive; pass the size of the latent space, e.g. 32", nameof(LatentDim));
        if (Uses(nameof(Hidden)) && (Hidden.Length == 0 || Hidden.Any(width => width <= 0)))
            throw new UserInputException($"{nameof(Hidden)} {string.Join(",", Hidden)} needs positive widths; pass e.g. 512,256", nameof(Hidden));
        if (Uses(nameof(Channels)) && (Channels.Length == 0 || Channels.Any(count => count <= 0)))
            throw new UserInputException($"{nameof(Channels)} {string.Join(",", Channels)} needs positive counts; pass e.g. 32,64", nameof(Channels));
        if (Uses(nameof(ConditionClasses)) && ConditionClasses < 2)
            throw new UserInputException($"{nameof(Condition)} label needs data with at least two labels, but these have {ConditionClasses}; pass {nameof(Condition)} none or data with labels", nameof(Condition));
        if (Arch == Architecture.Conv)
        {
            if (shape.Kind != DataKind.Image)
                throw new UserInputException($"{nameof(Arch)} conv needs images but the data are {shape}; pass {nameof(Arch)} mlp", nameof(Arch));
            // Sides that are not multiples of 2^stages are padded (Nn.ConvPadding); only stages that
            // would halve the image below one pixel, and so work on padding alone, are refused.
            int side = Math.Max(shape.Height, shape.Width), most = 1;
            while (most < 30 && 1 << most < side) most++;
            if (Channels.Length > most)
                throw new UserInputException(
                    $"{nameof(Channels)} {string.Join(",", Channels)} has {Channels.Length} stride-2 stages, but a {shape.Height}×{shape.Width} image is down to one pixel after {most}; pass at most {most} channel counts", nameof(Channels));
        }
    }
}
