using System.Net;
using System.Text;

namespace Latent.Reporting;

/// <summary>A small builder for self-contained HTML pages: inline CSS, images embedded as data URIs.</summary>
internal sealed class Html
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
        _body.Append("<div class=\"scroll\"><table><thead><tr>").AppendJoin("", header.Select(cell => $"<th>{Encode(cell)}</th>")).Append("</tr></thead><tbody>\n");
        foreach (var row in rows) _body.Append("<tr>").AppendJoin("", row.Select(cell => $"<td>{Encode(cell)}</td>")).Append("</tr>\n");
        _body.Append("</tbody></table></div>\n");
        return this;
    }

    /// <summary>A run's card: its headline figure beside its baseline, supporting figures, its most telling picture.</summary>
    public Html Card(RunCard card, byte[]? picture)
    {
        _body.Append($"<article class=\"card\" data-card=\"{Encode(card.Name)}\"><h3>{Encode(card.Name)}</h3><p class=\"note\">{Encode(card.Title)}</p>\n");
        if (card.Headline is { } headline)
        {
            _body.Append($"<div class=\"headline\"><div><span class=\"label\">{Encode(headline.Label)}</span><span class=\"value\">{Encode(headline.Value)}</span></div>");
            if (headline.Baseline is not null)
            {
                string verdict = headline.Beats switch { true => "better", false => "worse", null => "" };
                _body.Append($"<div class=\"baseline\"><span class=\"label\">{Encode(headline.Baseline)}</span><span class=\"value\">{Encode(headline.BaselineValue ?? "")}</span></div>")
                     .Append($"<span class=\"change {verdict}\">{Encode(headline.Change ?? "")}</span>");
            }
            _body.Append("</div>\n");
        }
        if (card.Notes.Count > 0) _body.Append("<ul>").AppendJoin("", card.Notes.Select(note => $"<li>{Encode(note)}</li>")).Append("</ul>\n");
        if (picture is not null && card.Picture is not null) Figure($"{card.Name}/card/{Path.GetFileNameWithoutExtension(card.Picture)}", picture, card.PictureCaption ?? "");
        _body.Append("</article>\n");
        return this;
    }

    /// <summary>Opens a folded section (&lt;details&gt;) with its one-line summary; close it with <c>Close("details")</c>.</summary>
    public Html Details(string summary)
    {
        _body.Append($"<details><summary>{Encode(summary)}</summary>\n");
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
        body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.4; }
        h1 { border-bottom: 2px solid #444; font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; font-size: 1.25em; }
        h3 { margin: 0; font-size: 1.05em; }
        .scroll { overflow-x: auto; max-width: 100%; }
        table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        td:nth-child(n+2) { font-variant-numeric: tabular-nums; white-space: nowrap; } th { background: #f2f2f2; }
        figure { display: inline-block; margin: 0.5em 0; vertical-align: top; max-width: 100%; } figcaption { font-size: 0.85em; color: #555; max-width: 640px; }
        img { max-width: 100%; height: auto; image-rendering: pixelated; } .note { color: #555; font-size: 0.9em; margin: 0.2em 0; }
        .runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr)); gap: 1em; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); gap: 1em; margin: 1em 0; }
        .card { border: 1px solid #ccc; border-radius: 6px; padding: 0.8em; background: #fcfcfc; min-width: 0; }
        .card ul { margin: 0.4em 0; padding-left: 1.2em; font-size: 0.9em; }
        .headline { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.4em 1.2em; margin: 0.5em 0; }
        .headline .label { display: block; font-size: 0.8em; color: #555; }
        .headline .value { font-size: 1.6em; font-weight: 600; font-variant-numeric: tabular-nums; }
        .headline .baseline .value { font-size: 1.2em; font-weight: 400; color: #555; }
        .change { font-weight: 600; } .change.better { color: #1b7a2e; } .change.worse { color: #b00020; }
        details { margin: 0.8em 0; border-top: 1px solid #ddd; padding-top: 0.4em; } summary { cursor: pointer; font-weight: 600; }
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
