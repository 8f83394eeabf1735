using System.Globalization;
using System.Text;
using Latent.Data;
using Latent.Models;
using static TorchSharp.torch;

namespace Latent.Reporting;

/// <summary>How <c>latent inpaint</c> shows its results: a picture for images, lines of text for tokens and table rows.</summary>
public static class InpaintFigures
{
    /// <summary>Colour of hidden pixels in the middle row (RGB in [0, 1]): a blue no grey image contains.</summary>
    static readonly float[] Tint = [0.25f, 0.45f, 0.85f];

    /// <summary>
    /// The figure every image run of a filling-in model gets (<c>inpaint.png</c>): the first
    /// <paramref name="count"/> examples with a random mask at the training ratio, drawn with a fixed
    /// seed. Returns false, drawing nothing, for other models and data.
    /// </summary>
    public static bool SaveForRun(string path, Autoencoder model, Dataset data, int count = 16)
    {
        if (model is not IInpainting { CanInpaint: true } inpainting || data.Shape.Kind != DataKind.Image || data.Count == 0) return false;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(seed: 0, device: CPU);
        var examples = data.Features.narrow(0, 0, Math.Min(count, data.Count));
        var missing = new InpaintMask.Random(inpainting.TrainingMaskFraction).Build(data.Shape, (int)examples.shape[0], inpainting.MaskUnit, generator);
        SaveImages(path, examples, inpainting.Inpaint(examples, missing));
        return true;
    }

    /// <summary>
    /// Blocks of three rows, <paramref name="columns"/> examples wide: the originals, the input with the
    /// hidden pixels in blue, and the filled-in result. Saved as an RGB PNG.
    /// </summary>
    public static void SaveImages(string path, Tensor originals, Inpainted result, int columns = 8, int scale = 2)
    {
        using var scope = NewDisposeScope();
        var original = Rgb(originals);
        var hidden = result.Hidden.any(1, keepdim: true).expand(-1, 3, -1, -1);  // [B, 1, H, W] -> [B, 3, H, W]
        var tint = tensor(Tint).view(1, 3, 1, 1).expand_as(original);
        var masked = where(hidden, tint, original);
        var filled = Rgb(result.Filled);
        var rows = new List<Tensor>();
        for (long start = 0; start < original.shape[0]; start += columns)
        {
            long length = Math.Min(columns, original.shape[0] - start);
            foreach (var row in new[] { original, masked, filled })
            {
                rows.Add(row.narrow(0, start, length));
                // Pad a short last block with blank tiles so that its three rows stay aligned.
                if (length < columns) rows.Add(zeros(columns - length, 3, original.shape[2], original.shape[3]));
            }
        }
        ImageGrid.Save(path, cat(rows, 0), Math.Min(columns, (int)original.shape[0]), scale: scale);
    }

    /// <summary>
    /// Per example, three lines: the original text, the text with hidden tokens as underscores, and the
    /// filled-in text with every filled token in brackets: [x] when right, [x≠y] when the text has y.
    /// </summary>
    public static IEnumerable<string> Text(Tensor ids, Inpainted result, Vocabulary vocabulary, TokenLevel level)
    {
        var original = ids.to(ScalarType.Int64).data<long>().ToArray();
        var filled = result.Filled.to(ScalarType.Int64).data<long>().ToArray();
        var hidden = result.Hidden.data<bool>().ToArray();
        int length = (int)ids.shape[1];
        for (int n = 0; n < ids.shape[0]; n++)
        {
            var range = Enumerable.Range(n * length, length).ToArray();
            string Show(long id) => Printable(vocabulary.Token(id));
            yield return $"example {n + 1}";
            yield return "  original  " + Vocabulary.Join(range.Select(i => Show(original[i])), level);
            yield return "  masked    " + Vocabulary.Join(range.Select(i => hidden[i] ? (level == TokenLevel.Char ? "_" : "___") : Show(original[i])), level);
            yield return "  filled    " + Vocabulary.Join(range.Select(i => !hidden[i] ? Show(original[i])
                : filled[i] == original[i] ? $"[{Show(filled[i])}]" : $"[{Show(filled[i])}≠{Show(original[i])}]"), level);
        }
    }

    /// <summary>Table rows: per row, the values with the filled-in ones as [predicted; true value].</summary>
    public static IEnumerable<string> Rows(Tensor rows, Inpainted result)
    {
        var original = rows.to(ScalarType.Float32).data<float>().ToArray();
        var filled = result.Filled.to(ScalarType.Float32).data<float>().ToArray();
        var hidden = result.Hidden.data<bool>().ToArray();
        int width = (int)rows.shape[1];
        for (int n = 0; n < rows.shape[0]; n++)
        {
            var cells = Enumerable.Range(n * width, width).Select(i => hidden[i]
                ? $"[{Number(filled[i])}; true {Number(original[i])}]"
                : Number(original[i]));
            yield return $"row {n + 1}: {string.Join(", ", cells)}";
        }
    }

    /// <summary>(correct, hidden): how many hidden tokens were filled in exactly.</summary>
    public static (long Correct, long Hidden) TokenScore(Tensor ids, Inpainted result)
    {
        using var scope = NewDisposeScope();
        return ((result.Filled.eq(ids) & result.Hidden).sum().item<long>(), result.Hidden.sum().item<long>());
    }

    static string Number(float value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>A token as it prints: control characters as their escapes.</summary>
    static string Printable(string token)
    {
        var text = new StringBuilder();
        foreach (char c in token) text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        return text.ToString();
    }

    /// <summary>[B, 1–4, H, W] → [B, 3, H, W]; kept alpha (premultiplied colour) is composited over white.</summary>
    static Tensor Rgb(Tensor images)
    {
        var values = images.to(ScalarType.Float32);
        long channels = values.shape[1];
        if (channels is 2 or 4) values = values.narrow(1, 0, channels - 1) + (1 - values.narrow(1, channels - 1, 1));
        return values.shape[1] == 3 ? values : values.expand(-1, 3, -1, -1);
    }
}
