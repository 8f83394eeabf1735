using System.Text.Json;
using System.Text.Json.Serialization;

namespace Latent.Runs;

/// <summary>The one JSON style of every file Latent writes: snake_case keys, enums as lower-case words.</summary>
public static class Json
{
    /// <summary>The settings of every JSON file Latent writes (manifest.json, eval.json, export.json): snake_case names, enums as snake_case strings, indented, NaN and ∞ allowed.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The same style on a single line, for JSON Lines files.</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };
}
