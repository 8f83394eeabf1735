using System.Globalization;
using Latent.Evaluation;
using Latent.Models;

namespace Latent.Reporting;

/// <summary>
/// Numbers of <c>eval.json</c> rounded to what they mean, by the kind of figure their key names:
/// errors to 3 significant digits, decibels and nats to a tenth, accuracies and usage as percentages,
/// counts and bits as whole numbers, angles to a tenth of a degree.
/// </summary>
public static class FigureFormat
{
    static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The value of <paramref name="key"/> as a report shows it.</summary>
    public static string Format(string key, double value)
    {
        if (double.IsNaN(value)) return "—";
        if (double.IsInfinity(value)) return value > 0 ? "∞" : "−∞";
        if (key == VariationalEstimates.Quantity.Name && Quantity(value) is string quantity) return quantity;
        if (key.EndsWith("_accuracy", StringComparison.Ordinal) || key.StartsWith("codebook_usage", StringComparison.Ordinal))
            return (100 * value).ToString("F1", Invariant) + " %";
        if (key.EndsWith("_db", StringComparison.Ordinal) || key.EndsWith("_nats", StringComparison.Ordinal) || key.EndsWith("_deg", StringComparison.Ordinal))
            return value.ToString("F1", Invariant);
        if (key.EndsWith("_mse", StringComparison.Ordinal) || key.Contains("_mse_", StringComparison.Ordinal)) return Significant(value, 3);
        if (key.Contains("bits", StringComparison.Ordinal) || key.EndsWith("_units", StringComparison.Ordinal) || key.EndsWith("_samples", StringComparison.Ordinal)
            || key.EndsWith("_components_same_bits", StringComparison.Ordinal) || key.StartsWith("codebook_perplexity", StringComparison.Ordinal) || value == Math.Floor(value) && Math.Abs(value) < 1e9)
            return Math.Round(value).ToString("N0", Invariant).Replace(",", " ");
        return Significant(value, 3);
    }

    /// <summary>A <c>likelihood_quantity</c> code with what it means, e.g. "2: −log p of binarised pixels"; null for an unknown code.</summary>
    static string? Quantity(double code) => code != Math.Floor(code) ? null : (LikelihoodQuantity)(int)code switch
    {
        LikelihoodQuantity.BernoulliOnGreyLevels => "1: Bernoulli on grey levels (not a likelihood)",
        LikelihoodQuantity.BinarizedNll => "2: −log p of binarised pixels",
        LikelihoodQuantity.Discretized8BitNll => "3: −log p of 8-bit pixels",
        LikelihoodQuantity.GaussianDensity => "4: −log of a Gaussian density",
        _ => null,
    };

    /// <summary><paramref name="value"/> to <paramref name="digits"/> significant digits, without an exponent for everyday sizes.</summary>
    public static string Significant(double value, int digits)
    {
        if (value == 0) return "0";
        double magnitude = Math.Floor(Math.Log10(Math.Abs(value)));
        if (magnitude is < -4 or >= 6) return value.ToString($"G{digits}", Invariant);
        int decimals = (int)Math.Max(0, digits - 1 - magnitude);
        return Math.Round(value, decimals).ToString($"F{decimals}", Invariant);
    }

    /// <summary>How <paramref name="value"/> compares with <paramref name="baseline"/>, e.g. "+0.03 %" or "−37 %".</summary>
    public static string Relative(double value, double baseline)
    {
        if (baseline == 0 || !double.IsFinite(value) || !double.IsFinite(baseline)) return "";
        double change = 100 * (value / baseline - 1);
        string size = Math.Abs(change) < 1 ? Significant(Math.Abs(change), 2) : Math.Abs(change).ToString("F0", Invariant);
        return $"{(change < 0 ? "−" : "+")}{size} %";
    }
}
