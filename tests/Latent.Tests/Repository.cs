using System.Diagnostics;

namespace Latent.Tests;

/// <summary>The source tree the tests run from, and processes started in it as a user would start them.</summary>
public static class Repository
{
    /// <summary>The folder that holds Latent.slnx, above the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The path of <paramref name="relative"/> inside the repository.</summary>
    public static string File(string relative) => Path.Combine(Root, relative);

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="workingDirectory"/>, outside the test host's MSBuild, and returns its exit code and everything it printed.</summary>
    public static (int Code, string Output) Dotnet(string workingDirectory, params string[] arguments) =>
        Start("dotnet", workingDirectory, arguments);

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/>; stdout and stderr are returned together.</summary>
    public static (int Code, string Output) Start(string program, string workingDirectory, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(program, workingDirectory, arguments))!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>Start settings for a child process that sees neither the test host's MSBuild nor its test platform.</summary>
    public static ProcessStartInfo StartInfo(string program, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        // The test host's MSBuild settings would point a nested build at the test run's own MSBuild.
        foreach (var key in start.Environment.Keys.Where(key => key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(key);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }

    static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !System.IO.File.Exists(Path.Combine(directory.FullName, "Latent.slnx"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Latent.slnx) is not above the test binaries");
    }
}
