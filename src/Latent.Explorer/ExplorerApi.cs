using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Latent.Explorer;

/// <summary>
/// The explorer's HTTP surface: the page (embedded in the assembly) and a small JSON/PNG API, one
/// route per panel. Every request is checked by the run it names; a bad one is answered with 400 and
/// a one-line message, an unexpected failure with 500 and one line, and the process goes on.
/// </summary>
public static class ExplorerApi
{
    /// <summary>How request bodies are read: camelCase, and a field the endpoint does not take is an error.</summary>
    static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Body of <c>POST …/decode</c>: a code [D].</summary>
    public sealed record DecodeRequest(float[]? Code);
    /// <summary>Body of <c>POST …/map/decode</c>: a point of the map.</summary>
    public sealed record MapPointRequest(double? X, double? Y);
    /// <summary>Body of <c>POST …/walk</c>: two test examples, the number of decoded points, linear or spherical.</summary>
    public sealed record WalkRequest(int? From, int? To, int? Steps, bool Spherical);
    /// <summary>Body of <c>POST …/sample</c>: how many draws and their seed.</summary>
    public sealed record SampleRequest(int? Count, int? Seed);
    /// <summary>Body of <c>POST …/codes/decode</c>: integer codes [P][L].</summary>
    public sealed record CodesRequest(long[][]? Codes);
    /// <summary>Body of <c>POST …/paint</c>: a test example and the pixels to hide, H·W characters 0 or 1.</summary>
    public sealed record PaintRequest(int? Example, string? Mask);

    /// <summary>Maps the page and every API route onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, IReadOnlyList<ExploredRun> runs, Action<string> say)
    {
        app.Use(async (context, next) =>
        {
            // Nothing on the page may come from outside the machine: the browser enforces it.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'";
            try
            {
                await next(context);
            }
            catch (Exception error)
            {
                var (status, message) = Describe(error);
                if (status == 500) say($"explorer: {context.Request.Method} {context.Request.Path} failed: {error}");
                if (context.Response.HasStarted) return;
                context.Response.Clear();
                context.Response.StatusCode = status;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(message + "\n");
            }
        });

        app.MapGet("/", () => Page("index.html", "text/html; charset=utf-8"));
        app.MapGet("/explorer.js", () => Page("explorer.js", "text/javascript; charset=utf-8"));
        app.MapGet("/explorer.css", () => Page("explorer.css", "text/css; charset=utf-8"));

        app.MapGet("/api/runs", () => Results.Json(runs.Select(Describe)));
        app.MapGet("/api/runs/{run}/map", (string run) => Results.Json(MapOf(Find(runs, run))));
        app.MapGet("/api/runs/{run}/examples/{index}", (string run, string index) =>
            Results.File(Find(runs, run).ExamplePng(Whole(index, "example")), "image/png"));
        app.MapGet("/api/runs/{run}/examples/{index}/code", (string run, string index) =>
            Results.Json(new { code = Find(runs, run).CodeOf(Whole(index, "example")) }));
        app.MapGet("/api/runs/{run}/examples/{index}/codes", (string run, string index) =>
            Results.Json(new { codes = Find(runs, run).DiscreteCodesOf(Whole(index, "example")) }));
        app.MapGet("/api/runs/{run}/anomalies", (string run, string? count, string? column) =>
        {
            var explored = Find(runs, run);
            var worst = explored.Anomalies(count is null ? null : Whole(count, "count"), column);
            return Results.Json(worst.Select(example => new { index = example.Index, score = example.Score, label = explored.LabelOf(example.Index) }));
        });

        app.MapPost("/api/runs/{run}/decode", async (string run, HttpRequest request) =>
            Image(Find(runs, run).Decode((await Body<DecodeRequest>(request)).Code)));
        app.MapPost("/api/runs/{run}/map/decode", async (string run, HttpRequest request) =>
        {
            var point = await Body<MapPointRequest>(request);
            return Image(Find(runs, run).DecodeMapPoint(point.X, point.Y));
        });
        app.MapPost("/api/runs/{run}/walk", async (string run, HttpRequest request) =>
        {
            var walk = await Body<WalkRequest>(request);
            return Image(Find(runs, run).Walk(walk.From, walk.To, walk.Steps, walk.Spherical));
        });
        app.MapPost("/api/runs/{run}/sample", async (string run, HttpRequest request) =>
        {
            var sample = await Body<SampleRequest>(request);
            return Image(Find(runs, run).Sample(sample.Count, sample.Seed));
        });
        app.MapPost("/api/runs/{run}/codes/decode", async (string run, HttpRequest request) =>
            Image(Find(runs, run).DecodeCodes((await Body<CodesRequest>(request)).Codes)));
        app.MapPost("/api/runs/{run}/paint", async (string run, HttpRequest request) =>
        {
            var paint = await Body<PaintRequest>(request);
            return Image(Find(runs, run).Inpaint(paint.Example, paint.Mask));
        });

        app.MapFallback((HttpContext context) =>
            Results.Text($"there is no {context.Request.Method} {context.Request.Path} here; the page is at /\n", statusCode: StatusCodes.Status404NotFound));
    }

    /// <summary>What the page needs to lay out a run's panels.</summary>
    static object Describe(ExploredRun run)
    {
        var summary = run.Summary;
        var order = summary.ByActivity().Take(ExploredRun.MaxSliders).ToArray();
        var shape = run.Manifest.Shape;
        var codes = run.DiscreteCodes;
        return new
        {
            id = run.Id,
            name = run.Name,
            path = run.Run.Path,
            family = run.Manifest.Family,
            summary = Families.ModelCatalog.Find(run.Manifest.Family).Summary,
            arch = run.Manifest.Model.Arch.ToString().ToLowerInvariant(),
            data = run.Manifest.Data.Data,
            image = new { channels = shape.Channels, height = shape.Height, width = shape.Width },
            testCount = run.Test.Count,
            panels = run.Panels,
            absent = run.AbsentPanels,
            latent = new
            {
                dimension = summary.Dimension,
                sliders = order.Select(j =>
                {
                    var (low, high) = run.SliderRange(j);
                    return new { dimension = j, low, high, variance = summary.Variance[j] };
                }),
            },
            codes = codes is null ? null : new { grid = codes.Grid, heads = codes.Heads, codebookSize = codes.CodebookSize, usage = run.CodeUsage },
            paint = run.Inpainting is { } inpainting ? new { unit = inpainting.MaskUnit, fraction = inpainting.TrainingMaskFraction } : null,
            sample = run.SamplerDescription is { } description ? new { description } : null,
            anomalies = run.ScoreColumns is { } columns ? new { columns } : null,
        };
    }

    /// <summary>The map's points with their labels, and how they were projected.</summary>
    static object MapOf(ExploredRun run)
    {
        var summary = run.Summary;
        int shown = summary.PointsX.Length;
        return new
        {
            projection = summary.Projection,
            axisShare = summary.AxisVarianceShare,
            x = summary.PointsX,
            y = summary.PointsY,
            labels = run.Test.Labels?.Take(shown),
            labelNames = run.Test.LabelNames,
        };
    }

    /// <summary>The status and one-line message a failure is answered with.</summary>
    static (int Status, string Message) Describe(Exception error)
    {
        string line = error switch
        {
            UserInputException input => input.Message,
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                $"the request body is larger than {ExplorerServer.MaxRequestBytes / 1024} KiB; send less",
            BadHttpRequestException bad => $"bad request: {bad.Message}",
            _ => $"internal error ({error.GetType().Name}: {error.Message}); the explorer goes on, but this request failed",
        };
        int status = error is UserInputException or BadHttpRequestException ? StatusCodes.Status400BadRequest : StatusCodes.Status500InternalServerError;
        return (status, line.ReplaceLineEndings(" "));
    }

    static ExploredRun Find(IReadOnlyList<ExploredRun> runs, string id)
    {
        int index = Whole(id, "run");
        return index >= 0 && index < runs.Count ? runs[index]
            : throw new UserInputException($"there is no run {index}; the runs are numbered 0 to {runs.Count - 1}");
    }

    static int Whole(string text, string what) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
            : throw new UserInputException($"{what} '{text}' is not a whole number");

    /// <summary>The request body as <typeparamref name="T"/>; anything else is a one-line <see cref="UserInputException"/>.</summary>
    static async Task<T> Body<T>(HttpRequest request) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, RequestJson)
                   ?? throw new UserInputException("the request body is null; send a JSON object");
        }
        catch (JsonException error)
        {
            throw new UserInputException(JsonProblem(error));
        }
    }

    /// <summary>A JSON reader's complaint in a user's words: where in the body, and what was wrong.</summary>
    static string JsonProblem(JsonException error)
    {
        string where = error.Path is { Length: > 1 } path ? $" at {path}" : "";
        string message = error.Message.Split(" Path:", 2)[0].TrimEnd('.');
        string what = message.Contains("could not be mapped", StringComparison.Ordinal) ? "this endpoint takes no such field"
            : message.Contains("could not be converted to System.Single", StringComparison.Ordinal) || message.Contains("System.Double", StringComparison.Ordinal) ? "a number is expected"
            : message.Contains("System.Int", StringComparison.Ordinal) ? "a whole number is expected"
            : message.Contains("System.String", StringComparison.Ordinal) ? "text is expected"
            : message.Contains("System.Boolean", StringComparison.Ordinal) ? "true or false is expected"
            : message;
        return $"the request body is not the JSON this endpoint takes{where}: {what}";
    }

    /// <summary>A decoded PNG, with the model's time in the standard Server-Timing header.</summary>
    static IResult Image(Decoded decoded) => new PngResult(decoded);

    sealed class PngResult(Decoded decoded) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.ContentType = "image/png";
            context.Response.Headers["Server-Timing"] = $"model;dur={decoded.Milliseconds.ToString("F2", CultureInfo.InvariantCulture)}";
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.Body.WriteAsync(decoded.Png).AsTask();
        }
    }

    static IResult Page(string name, string contentType)
    {
        using var stream = typeof(ExplorerApi).Assembly.GetManifestResourceStream($"wwwroot/{name}")
                           ?? throw new InvalidOperationException($"the page resource {name} is missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Results.Bytes(copy.ToArray(), contentType);
    }
}
