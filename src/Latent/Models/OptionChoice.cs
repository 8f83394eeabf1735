namespace Latent.Models;

/// <summary>
/// A family option, besides the architecture, whose value decides which of the family's other options apply
/// (the VQ-VAE's <c>--quantizer</c>): help marks an option with the values that use it, and a refused option's
/// message names the value in force and the values that would take it.
/// </summary>
/// <param name="Option">The option's command-line name, e.g. <c>quantizer</c>.</param>
/// <param name="Value">Its value in these options, as the command line spells it.</param>
/// <param name="Alternatives">Every value it can take, each with these options under that value.</param>
public sealed record OptionChoice(string Option, string Value, IReadOnlyList<(string Value, ModelOptions Options)> Alternatives)
{
    /// <summary>The values under which <paramref name="property"/> applies, with these options otherwise unchanged.</summary>
    public IReadOnlyList<string> ValuesUsing(string property) =>
        Alternatives.Where(alternative => alternative.Options.Uses(property)).Select(alternative => alternative.Value).ToList();

    /// <summary>For a refused option: where it was refused (" --quantizer vq") and how to make it apply (", or pass --quantizer fsq"; empty when nothing does).</summary>
    public (string Where, string Fix) Refusal(string property)
    {
        var values = ValuesUsing(property);
        return ($" --{Option} {Value}", values.Count == 0 ? "" : $", or pass --{Option} {string.Join(" or ", values)}");
    }
}
