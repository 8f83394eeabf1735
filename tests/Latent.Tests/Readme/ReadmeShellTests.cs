using System.Text.RegularExpressions;

namespace Latent.Tests.Readme;

/// <summary>
/// Every shell line of the README, run as a user would paste it: in a fresh folder, through the built
/// command line, in the README's order, except that runs are made small (one epoch, 300 examples, the
/// built-in shapes in place of Fashion-MNIST) and the lines that make runs go first, since a later
/// section's run is named by an earlier section. The demo is run by .ci/run, the test command is this,
/// benchmarks are only asked for their usage, and the PyTorch side's lines are DistributedTrainingTests'.
/// </summary>
public sealed partial class ReadmeShellTests
{
    [Fact]
    public void Every_shell_line_of_the_readme_runs()
    {
        var lines = ShellLines(System.IO.File.ReadAllText(Repository.File("README.md"))).Where(line => !NamesTheDemo(line)).ToList();
        Assert.True(lines.Count > 20, $"the README's shell blocks were not found ({lines.Count} lines)");
        using var folder = new TempDirectory();
        AssertAllRun(lines.Where(MakesARun).Concat(lines.Where(line => !MakesARun(line))), folder.Path);
    }

    [SkippableFact]
    public void The_lines_about_the_demo_s_runs_run_on_them()
    {
        var lines = ShellLines(System.IO.File.ReadAllText(Repository.File("README.md"))).Where(NamesTheDemo).ToList();
        Assert.NotEmpty(lines);
        var missing = lines.SelectMany(line => Regex.Matches(line, @"runs/demo/\S+").Select(match => match.Value)).Where(run => !Directory.Exists(Repository.File(run))).ToList();
        Skip.If(missing.Count > 0, $"{string.Join(", ", missing)} is not in the repository: run ./latent demo first, with Debian's dataset-fashion-mnist installed (.ci/run does, before the tests)");
        AssertAllRun(lines, Repository.Root);
    }

    static void AssertAllRun(IEnumerable<string> lines, string folder)
    {
        var failures = new List<string>();
        foreach (var line in lines)
        {
            var (code, output) = RunLine(line, folder);
            if (code != 0) failures.Add($"{line}\n  → exit {code}: {string.Join("\n    ", output.Trim().Split('\n').TakeLast(4))}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static bool NamesTheDemo(string line) => line.Contains(" runs/demo/");

    [Fact]
    public void The_readme_is_read_as_a_user_would_read_it()
    {
        var lines = ShellLines("""
            text
            ```sh
            ./latent train --model vae \
                           --epochs 5 --out runs/v   # a comment
            ./latent encode --run a && ./latent decode --run a
            ./latent interpolate --run r [--slerp]
            ```
            """);
        Assert.Equal(["./latent train --model vae --epochs 5 --out runs/v", "./latent encode --run a", "./latent decode --run a", "./latent interpolate --run r --slerp"], lines);
        Assert.Equal(["train", "--model", "vae", "--epochs", "1", "--out", "runs/v", "--limit", "300"], Cheap(Words(lines[0])));
        Assert.Equal(["train", "--resume", "--data", "shapes", "--epochs", "2", "--limit", "300"], Cheap(Words("./latent train --resume --data fashion-mnist --epochs 20")));
    }

    /// <summary>The commands of every ```sh block, continuation lines joined, comments and [ ] of optional words removed, chains split at &amp;&amp;.</summary>
    static List<string> ShellLines(string markdown)
    {
        var lines = new List<string>();
        foreach (Match block in ShellBlock().Matches(markdown))
        {
            var text = Regex.Replace(block.Groups[1].Value, @"\\\n\s*", " ");
            foreach (var raw in text.Split('\n'))
            {
                var line = Regex.Replace(raw, @"\s+#.*$", "").Replace("[", "").Replace("]", "").Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                lines.AddRange(line.Split("&&").Select(part => Regex.Replace(part.Trim(), @"\s+", " ")));
            }
        }
        return lines;
    }

    static bool MakesARun(string line) => Regex.IsMatch(line, @"^\./latent (train|pca) ") && !line.Contains("--help");

    static (int Code, string Output) RunLine(string line, string folder)
    {
        var words = Words(line);
        if (words[0] == "./latent" && words[1] == "demo") return (0, "run by .ci/run");
        if (words is ["dotnet", "test", ..]) return (0, "this is the test command");
        // The lines of the PyTorch side (torchrun, python3 -m latent_torch, its PYTHONPATH) are what
        // Runs/DistributedTrainingTests runs, on small runs and a free port; a line for 4 machines cannot run on one.
        if (words[0] is "torchrun" or "/usr/bin/python3" or "python3" or "export") return (0, "run by DistributedTrainingTests");
        if (words[0] == "./latent" && words[1] == "bench") return Latent("bench", "--help");
        if (words[0].StartsWith("bench/"))
        {
            var script = Repository.File(words[0]);
            return System.IO.File.Exists(script) && (OperatingSystem.IsWindows() || (System.IO.File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0)
                ? Repository.Start("bash", folder, "-n", script)
                : (1, $"{words[0]} is not an executable script in the repository");
        }
        if (words is ["dotnet", "run", "--project", var project, ..])
            return Repository.Dotnet(folder, ["run", "--project", Repository.File(project), .. words[4..]]);
        if (words[0] != "./latent") return (1, $"the test does not know how to run '{words[0]}'");
        return words[1] == "explore" ? Explore(Cheap(words), folder) : Latent(Cheap(words));

        (int, string) Latent(params string[] arguments) =>
            Repository.Start("dotnet", folder, [Path.Combine(AppContext.BaseDirectory, "Latent.Cli.dll"), .. arguments]);
    }

    /// <summary>The line's arguments after ./latent, made small: one epoch (two to resume), 300 examples, shapes for Fashion-MNIST, 4 importance samples.</summary>
    static string[] Cheap(string[] words)
    {
        var arguments = words[1..].Select(word => word == "fashion-mnist" ? "shapes" : word).ToList();
        bool makesARun = arguments[0] is "train" or "pca" && !arguments.Contains("--help");
        for (int i = 0; i + 1 < arguments.Count; i++)
        {
            if (arguments[i] == "--epochs") arguments[i + 1] = arguments.Contains("--resume") ? "2" : "1";
            if (arguments[i] == "--prior-epochs") arguments[i + 1] = "1";
            if (arguments[i] == "--iwae-samples") arguments[i + 1] = "4";
        }
        if (makesARun) arguments.AddRange(["--limit", "300"]);
        return [.. arguments];
    }

    /// <summary>Starts the explorer on a free port, waits until it prints its address, fetches the page and stops it.</summary>
    static (int Code, string Output) Explore(string[] arguments, string folder)
    {
        if (!arguments.Contains("--port")) arguments = [.. arguments, "--port", "0"];
        else arguments = arguments.Select((word, i) => i > 0 && arguments[i - 1] == "--port" ? "0" : word).ToArray();
        using var process = System.Diagnostics.Process.Start(Repository.StartInfo("dotnet", folder, [Path.Combine(AppContext.BaseDirectory, "Latent.Cli.dll"), .. arguments]))!;
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                var address = Regex.Match(line, @"http://127\.0\.0\.1:\d+/");
                if (!address.Success) continue;
                using var http = new HttpClient();
                var page = http.GetAsync(address.Value).GetAwaiter().GetResult();
                return page.IsSuccessStatusCode ? (0, line) : (1, $"{address.Value} answered {(int)page.StatusCode}");
            }
            process.WaitForExit();
            return (process.ExitCode == 0 ? 1 : process.ExitCode, "the explorer stopped without printing its address: " + error.GetAwaiter().GetResult());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"```(?:sh|bash|shell)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
