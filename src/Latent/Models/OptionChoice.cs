namespace Latent.Models;

/// <summary>
/// A family option, besides the architecture, whose value decides which of the family's other options apply
/// (the VQ-VAE's <see cref="VectorQuantized.VqOptions.Quantizer"/>): help marks an option with the values that use it,
/// and a refused option's message names the value in force and the values that would take it.
/// </summary>
/// <param name="Property">The option's property name, e.g. <c>Quantizer</c>; messages name it so, and list it.</param>
/// <param name="Value">Its value in these options, in kebab form (<c>fsq</c>), as both the library and the command line write enum values.</param>
/// <param name="Alternatives">Every value it can take, each with these options under that value.</param>
public sealed record OptionChoice(string Property, string Value, IReadOnlyList<(string Value, ModelOptions Options)> Alternatives)
{
    /// <summary>The option's name in kebab form (<c>quantizer</c>), for front ends and titles that spell options so.</summary>
    public string Option => OptionNames.Kebab(Property);

    /// <summary>The values under which <paramref name="property"/> applies, with these options otherwise unchanged.</summary>
    public IReadOnlyList<string> ValuesUsing(string property) =>
        Alternatives.Where(alternative => alternative.Options.Uses(property)).Select(alternative => alternative.Value).ToList();

    /// <summary>
    /// For a refused option, in the library's language: where it was refused (" Quantizer vq") and how to make it apply
    /// (", or pass Quantizer fsq"; empty when nothing does). A message that uses them lists <see cref="Property"/> among its options.
    /// </summary>
    public (string Where, string Fix) Refusal(string property)
    {
        var values = ValuesUsing(property);
        return ($" {Property} {Value}", values.Count == 0 ? "" : $", or pass {Property} {string.Join(" or ", values)}");
    }
}
