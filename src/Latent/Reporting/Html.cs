using System.Net;
using System.Text;

namespace Latent.Reporting;

/// <summary>A small builder for self-contained HTML pages: inline CSS, images embedded as data URIs.</summary>
public sealed class Html
{
    readonly StringBuilder _body = new();

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    public Html Heading(int level, string text, string? id = null)
    {
        _body.Append($"<h{level}{(id is null ? "" : $" id=\"{Encode(id)}\"")}>{Encode(text)}</h{level}>\n");
        return this;
    }

    public Html Paragraph(string text, string? cssClass = null)
    {
        _body.Append($"<p{(cssClass is null ? "" : $" class=\"{cssClass}\"")}>{Encode(text)}</p>\n");
        return this;
    }

    /// <summary>A figure with a caption; <paramref name="name"/> marks it so that tests can find it.</summary>
    public Html Figure(string name, byte[] png, string caption)
    {
        _body.Append($"<figure data-figure=\"{Encode(name)}\"><img alt=\"{Encode(name)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">")
             .Append($"<figcaption>{Encode(caption)}</figcaption></figure>\n");
        return this;
    }

    public Html Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("<table><thead><tr>").AppendJoin("", header.Select(cell => $"<th>{Encode(cell)}</th>")).Append("</tr></thead><tbody>\n");
        foreach (var row in rows) _body.Append("<tr>").AppendJoin("", row.Select(cell => $"<td>{Encode(cell)}</td>")).Append("</tr>\n");
        _body.Append("</tbody></table>\n");
        return this;
    }

    public Html Open(string element, string? cssClass = null)
    {
        _body.Append($"<{element}{(cssClass is null ? "" : $" class=\"{cssClass}\"")}>\n");
        return this;
    }

    public Html Close(string element)
    {
        _body.Append($"</{element}>\n");
        return this;
    }

    /// <summary>The whole page. A script records on &lt;body&gt; how many images decoded, for browser tests.</summary>
    public string Page(string title) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Encode(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
        h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        td:nth-child(n+2) { font-variant-numeric: tabular-nums; } th { background: #f2f2f2; }
        figure { display: inline-block; margin: 0.5em; vertical-align: top; } figcaption { font-size: 0.9em; color: #555; max-width: 640px; }
        img { max-width: 100%; image-rendering: pixelated; } .note { color: #555; font-size: 0.9em; }
        .runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 1em; }
        </style></head>
        <body>
        {{_body}}
        <script>
        window.addEventListener('load', () => {
          const images = [...document.images];
          const broken = images.filter(image => !(image.complete && image.naturalWidth > 0)).map(image => image.alt);
          document.body.dataset.images = images.length;
          document.body.dataset.decoded = images.length - broken.length;
          document.body.dataset.broken = broken.join('|');
        });
        </script>
        </body></html>
        """;
}
