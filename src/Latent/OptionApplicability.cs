namespace Latent;

/// <summary>
/// An options record that knows which of its options apply, given its own values (a family's options
/// given its architecture, data options given their source). Validation, help and the manifest read it.
/// </summary>
public interface IOptionApplicability
{
    /// <summary>Whether the option <paramref name="property"/> (a property name of the record) means something here.</summary>
    bool Uses(string property);
}

/// <summary>How the command line spells options and choices.</summary>
public static class OptionNames
{
    /// <summary><c>LatentDim</c> → <c>latent-dim</c>, <c>Mlp</c> → <c>mlp</c>.</summary>
    public static string Kebab(object name)
    {
        var text = name.ToString() ?? "";
        var builder = new System.Text.StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0 && (char.IsLower(text[i - 1]) || (i + 1 < text.Length && char.IsLower(text[i + 1]))))
                builder.Append('-');
            builder.Append(char.ToLowerInvariant(text[i]));
        }
        return builder.ToString();
    }
}
