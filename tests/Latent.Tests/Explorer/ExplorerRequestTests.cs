using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Latent.Explorer;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Explorer;

/// <summary>The explorer's API seen through HttpClient: what it answers, what it refuses (400, one line), and what it never does.</summary>
[Collection(ExplorerCollection.Name)]
public sealed class ExplorerRequestTests(ExplorerFixture fixture)
{
    HttpClient Http => fixture.Http;

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    async Task<(HttpStatusCode Status, string Text)> Post(string path, string body)
    {
        using var response = await Http.PostAsync(path, Json(body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    async Task<(HttpStatusCode Status, string Text)> Get(string path)
    {
        using var response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    static void AssertBadRequest((HttpStatusCode Status, string Text) answer, string expected)
    {
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains(expected, answer.Text);
        Assert.Single(answer.Text.TrimEnd('\n').Split('\n'));
    }

    static bool IsPng(byte[] bytes) => bytes.Length > 8 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G';

    [Fact]
    public async Task Each_run_offers_the_panels_its_capabilities_allow_and_says_why_the_others_are_absent()
    {
        using var runs = JsonDocument.Parse(await Http.GetStringAsync("/api/runs"));
        var panels = runs.RootElement.EnumerateArray().Select(run => run.GetProperty("panels").EnumerateArray().Select(p => p.GetString()!).ToArray()).ToArray();
        Assert.Equal(["map", "sliders", "walk", "sample"], panels[0]);            // plain AE: sampling from a fitted mixture
        Assert.Equal(["map", "walk", "sample", "codes"], panels[1]);              // VQ-VAE: discrete codes, its code prior
        Assert.Equal(["map", "sliders", "walk", "sample", "paint"], panels[2]);   // masking DAE: fills in
        var absent = runs.RootElement[0].GetProperty("absent");
        Assert.Contains("scores.csv", absent.GetProperty("anomalies").GetString());
        Assert.Contains("denoising and masked", absent.GetProperty("paint").GetString());
        // The sliders come most varying first.
        var variances = runs.RootElement[0].GetProperty("latent").GetProperty("sliders").EnumerateArray().Select(s => s.GetProperty("variance").GetDouble()).ToArray();
        Assert.Equal(variances.OrderByDescending(v => v), variances);
        Assert.Equal(4, variances.Length);
    }

    [Fact]
    public async Task Decoding_a_code_a_map_point_a_walk_samples_codes_and_a_mask_gives_pngs_with_the_model_time()
    {
        using var decoded = await Http.PostAsync("/api/runs/0/decode", Json("{\"code\": [0.1, 0.2, 0.3, 0.4]}"));
        Assert.Equal(HttpStatusCode.OK, decoded.StatusCode);
        Assert.Equal("image/png", decoded.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("model;dur=", decoded.Headers.GetValues("Server-Timing").Single());
        Assert.True(IsPng(await decoded.Content.ReadAsByteArrayAsync()));

        foreach (var (path, body) in new[]
        {
            ("/api/runs/0/map/decode", "{\"x\": 0.1, \"y\": -0.2}"),
            ("/api/runs/0/walk", "{\"from\": 1, \"to\": 2, \"steps\": 5, \"spherical\": true}"),
            ("/api/runs/0/sample", "{\"count\": 4, \"seed\": 1}"),
            ("/api/runs/1/sample", "{\"count\": 4, \"seed\": 1}"),
            ("/api/runs/1/codes/decode", "{\"codes\": [[0], [1], [2], [3], [4], [5], [6], [15]]}"),
            ("/api/runs/2/paint", $"{{\"example\": 3, \"mask\": \"{new string('1', 200)}{new string('0', 824)}\"}}"),
        })
        {
            using var response = await Http.PostAsync(path, Json(body));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {await response.Content.ReadAsStringAsync()}");
            Assert.True(IsPng(await response.Content.ReadAsByteArrayAsync()), path);
        }
    }

    [Fact]
    public async Task The_same_seed_draws_the_same_samples_and_another_seed_others()
    {
        async Task<byte[]> Draw(int seed)
        {
            using var response = await Http.PostAsync("/api/runs/0/sample", Json($"{{\"count\": 9, \"seed\": {seed}}}"));
            return await response.Content.ReadAsByteArrayAsync();
        }
        Assert.Equal(await Draw(5), await Draw(5));
        Assert.NotEqual(await Draw(5), await Draw(6));
    }

    [Fact]
    public async Task A_map_point_decodes_as_the_code_it_lifts_back_to()
    {
        var summary = fixture.Server.Runs[0].Summary;
        var code = summary.Lift(0.3, -0.1);
        using var byPoint = await Http.PostAsync("/api/runs/0/map/decode", Json("{\"x\": 0.3, \"y\": -0.1}"));
        using var byCode = await Http.PostAsync("/api/runs/0/decode", JsonContent.Create(new { code }));
        Assert.Equal(await byCode.Content.ReadAsByteArrayAsync(), await byPoint.Content.ReadAsByteArrayAsync());
        // The lift is μ + x·a₁ + y·a₂ with orthonormal axes: projecting it back gives the point.
        double x = code.Select((value, j) => (value - summary.Mean[j]) * summary.Axes[0][j]).Sum();
        double y = code.Select((value, j) => (value - summary.Mean[j]) * summary.Axes[1][j]).Sum();
        Assert.Equal(0.3, x, 4);
        Assert.Equal(-0.1, y, 4);
    }

    [Fact]
    public async Task An_examples_integer_codes_lie_in_the_codebook_and_decode_like_the_model_reconstructs_them()
    {
        using var codes = JsonDocument.Parse(await Http.GetStringAsync("/api/runs/1/examples/7/codes"));
        var grid = codes.RootElement.GetProperty("codes").EnumerateArray().Select(p => p.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        Assert.Equal(8, grid.Length);
        Assert.All(grid, heads => Assert.All(heads, code => Assert.InRange(code, 0, 15)));
        using var usage = JsonDocument.Parse(await Http.GetStringAsync("/api/runs"));
        var counts = usage.RootElement[1].GetProperty("codes").GetProperty("usage")[0].EnumerateArray().Select(c => c.GetInt64()).ToArray();
        Assert.Equal(16, counts.Length);
        Assert.Equal(8L * fixture.Server.Runs[1].Test.Count, counts.Sum());   // every position of every test example counted once
    }

    [Theory]
    [InlineData("/api/runs/0/decode", "{\"code\": [0, 0, 0]}", "has 4 dimensions")]
    [InlineData("/api/runs/0/decode", "{\"code\": [0, 0, 0, 1e39]}", "send finite numbers")]
    [InlineData("/api/runs/0/decode", "{\"code\": [0, 0, 0, \"x\"]}", "a number is expected")]
    [InlineData("/api/runs/0/decode", "{\"code\": [0, 0, 0, 0], \"extra\": 1}", "no such field")]
    [InlineData("/api/runs/0/decode", "{}", "has no code")]
    [InlineData("/api/runs/0/decode", "not json", "not the JSON")]
    [InlineData("/api/runs/0/map/decode", "{\"x\": 1}", "both map coordinates")]
    [InlineData("/api/runs/0/map/decode", "{\"x\": 1, \"y\": 1e300}", "out of range")]
    [InlineData("/api/runs/0/walk", "{\"from\": 0, \"to\": 5000}", "to 5000 is not a test example")]
    [InlineData("/api/runs/0/walk", "{\"from\": 0, \"to\": 1, \"steps\": 1}", "steps 1 is out of range")]
    [InlineData("/api/runs/0/sample", "{\"count\": 65}", "count 65 is out of range")]
    [InlineData("/api/runs/0/codes/decode", "{\"codes\": [[0]]}", "has no codes panel")]
    [InlineData("/api/runs/1/codes/decode", "{\"codes\": [[0], [1]]}", "grid has 8")]
    [InlineData("/api/runs/1/codes/decode", "{\"codes\": [[0], [1], [2], [3], [4], [5], [6], [16]]}", "code 16 at position 7 is outside the codebook")]
    [InlineData("/api/runs/1/codes/decode", "{\"codes\": [[0], [1], [2], [3], [4], [5], [6], [-1]]}", "outside the codebook")]
    [InlineData("/api/runs/1/codes/decode", "{\"codes\": [[0, 1], [1], [2], [3], [4], [5], [6], [7]]}", "has 1 heads")]
    [InlineData("/api/runs/2/paint", "{\"example\": 0, \"mask\": \"0101\"}", "images are 32×32")]
    [InlineData("/api/runs/0/paint", "{\"example\": 0, \"mask\": \"1\"}", "has no paint panel")]
    [InlineData("/api/runs/9/decode", "{\"code\": [0]}", "there is no run 9")]
    [InlineData("/api/runs/x/decode", "{\"code\": [0]}", "run 'x' is not a whole number")]
    public async Task A_bad_request_is_a_400_with_one_line_naming_the_problem(string path, string body, string expected) =>
        AssertBadRequest(await Post(path, body), expected);

    [Fact]
    public async Task A_mask_of_the_wrong_characters_or_hiding_nothing_is_refused()
    {
        AssertBadRequest(await Post("/api/runs/2/paint", $"{{\"example\": 0, \"mask\": \"{new string('2', 1024)}\"}}"), "only the characters 0");
        AssertBadRequest(await Post("/api/runs/2/paint", $"{{\"example\": 0, \"mask\": \"{new string('0', 1024)}\"}}"), "hides nothing");
        AssertBadRequest(await Post("/api/runs/2/paint", $"{{\"example\": 2000, \"mask\": \"{new string('1', 1024)}\"}}"), "example 2000 is not a test example");
    }

    [Theory]
    [InlineData("/api/runs/0/examples/2000", "example 2000 is not a test example; pick one from 0 to 1999")]
    [InlineData("/api/runs/0/examples/-1/code", "example -1 is not a test example")]
    [InlineData("/api/runs/0/examples/abc", "example 'abc' is not a whole number")]
    [InlineData("/api/runs/0/examples/0/codes", "has no codes panel")]
    [InlineData("/api/runs/0/anomalies", "has no anomalies panel")]
    public async Task A_bad_example_index_or_a_panel_the_run_lacks_is_a_400(string path, string expected) =>
        AssertBadRequest(await Get(path), expected);

    [Fact]
    public async Task A_body_larger_than_the_limit_is_refused_and_the_server_goes_on()
    {
        // The client asks before it sends (Expect: 100-continue), as a browser's large upload may: the server
        // refuses on the declared length alone. Sent blindly, the refusal races the server's close of a
        // connection with unread bytes, and TCP may reset it before the client reads the answer.
        using var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) };
        using var client = new HttpClient(handler) { BaseAddress = Http.BaseAddress };
        using var big = new ByteArrayContent(new byte[2 * ExplorerServer.MaxRequestBytes]);
        big.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs/0/decode") { Content = big };
        request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("larger than", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/api/runs")).StatusCode);
    }

    [Fact]
    public async Task The_page_and_its_script_and_style_come_from_the_server_itself()
    {
        var page = await Http.GetAsync("/");
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        foreach (var path in new[] { "/", "/explorer.js", "/explorer.css" })
        {
            var text = await Http.GetStringAsync(path);
            Assert.True(text.Length > 200, path);
            Assert.DoesNotContain("http://", text);
            Assert.DoesNotContain("https://", text);
            Assert.DoesNotContain("//cdn", text);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/nothing-here")).StatusCode);
    }

    [Fact]
    public async Task Exploring_writes_nothing_into_a_run_but_its_cache_which_a_second_start_reuses()
    {
        static Dictionary<string, DateTime> Files(string run) =>
            Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories)
                .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}{ExplorerCache.FolderName}{Path.DirectorySeparatorChar}"))
                .ToDictionary(file => file, File.GetLastWriteTimeUtc);
        var before = Files(fixture.Plain);
        var cached = Path.Combine(fixture.Plain, ExplorerCache.FolderName, LatentSummary.CacheFile);
        Assert.True(File.Exists(cached));
        var cachedAt = File.GetLastWriteTimeUtc(cached);

        // Every kind of request, then a second explorer on the same run.
        await Post("/api/runs/0/sample", "{\"count\": 4}");
        await Post("/api/runs/0/walk", "{\"from\": 0, \"to\": 1}");
        await Http.GetStringAsync("/api/runs/0/map");
        await using (var second = await ExplorerServer.StartAsync(new ExplorerOptions { Runs = [fixture.Plain], Port = 0 }, _ => { }))
        {
            Assert.Equal(fixture.Server.Runs[0].Summary.PointsX, second.Runs[0].Summary.PointsX);
        }
        Assert.Equal(cachedAt, File.GetLastWriteTimeUtc(cached));   // read, not recomputed
        Assert.Equal(before, Files(fixture.Plain));
        Assert.True(File.Exists(Path.Combine(fixture.Plain, ExplorerCache.FolderName, "sampler-gmm-10.safetensors")));
        Assert.False(File.Exists(Path.Combine(fixture.Plain, "sampler-gmm-10.safetensors")));
    }

    [Fact]
    public async Task Scores_from_latent_score_make_the_anomaly_panel_list_the_worst_examples_first()
    {
        using var folder = new TempDirectory();
        var run = folder.File("ae");
        CopyRun(fixture.Plain, run);
        var scores = new StringBuilder("index,label,recon_mse,neg_elbo_nats\n");
        for (int i = 0; i < 2000; i++) scores.Append($"{i},0,{(i == 17 ? 9.5 : i == 3 ? 7.25 : 0.001 * (i % 100))},{i}\n");
        File.WriteAllText(Path.Combine(run, AnomalyScores.FileName), scores.ToString());
        await using var server = await ExplorerServer.StartAsync(new ExplorerOptions { Runs = [run], Port = 0 }, _ => { });
        using var http = new HttpClient { BaseAddress = server.Address };
        Assert.Contains("anomalies", server.Runs[0].Panels);
        using var worst = JsonDocument.Parse(await http.GetStringAsync("/api/runs/0/anomalies?count=2"));
        Assert.Equal([17, 3], worst.RootElement.EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
        using var byOther = JsonDocument.Parse(await http.GetStringAsync("/api/runs/0/anomalies?count=1&column=neg_elbo_nats"));
        Assert.Equal(1999, byOther.RootElement[0].GetProperty("index").GetInt32());
        var unknown = await http.GetAsync("/api/runs/0/anomalies?column=nope");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("recon_mse, neg_elbo_nats", await unknown.Content.ReadAsStringAsync());
    }

    static void CopyRun(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void The_command_line_refuses_bad_options_in_one_line_before_serving()
    {
        AssertUsageError(Run("explore"), "needs --run");
        AssertUsageError(Run("explore", "--run", fixture.Plain, "--port", "70000"), "--port '70000' must be a whole number from 0 to 65535");
        AssertUsageError(Run("explore", "--run", fixture.Plain, "--host", "example.org"), "is not an IP address");
        AssertUsageError(Run("explore", "--run", fixture.Plain, "--colour", "red"), "has no option --colour");
        AssertUsageError(Run("explore", "--run", fixture.Folder.File("missing"), "--port", "0"), "does not exist");
        AssertUsageError(Run("explore", "--run", fixture.Plain, "--port", "0", "--data", "csv:/nonexistent.csv"), "nonexistent.csv");
        AssertUsageError(Run("explore", "--run", fixture.Plain, "--port", "0", "--port", "1"), "--port is given twice");
    }

    [Fact]
    public async Task A_taken_port_is_a_one_line_error()
    {
        var error = await Assert.ThrowsAsync<UserInputException>(() =>
            ExplorerServer.StartAsync(new ExplorerOptions { Runs = [fixture.Plain], Port = fixture.Server.Address.Port }, _ => { }));
        Assert.Contains("pass another --port", error.Message);
    }

    [Fact]
    public async Task The_explore_command_serves_until_sigint_then_exits_cleanly()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Latent.Cli.dll");
        // Through env --default-signal=INT: a suite started in the background (nohup … &) passes SIGINT on ignored,
        // and an ignored SIGINT stays ignored across exec; a user's terminal delivers it with its default disposition.
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--default-signal=INT", "dotnet", cli, "explore", "--run", fixture.Plain, "--run", fixture.Discrete, "--port", "0", "--threads", "1" }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.NotNull(line);
        var address = System.Text.RegularExpressions.Regex.Match(line, @"http://127\.0\.0\.1:\d+/").Value;
        Assert.True(address.Length > 0, $"no address in: {line}");
        Assert.Contains("exploring ae, vq", line);
        using (var http = new HttpClient { BaseAddress = new Uri(address) })
            Assert.Equal(2, JsonDocument.Parse(await http.GetStringAsync("/api/runs")).RootElement.GetArrayLength());

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));   // a guard against a hang, not a speed limit: a loaded machine took over 30 s
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("explorer stopped", await process.StandardOutput.ReadToEndAsync());
    }
}
