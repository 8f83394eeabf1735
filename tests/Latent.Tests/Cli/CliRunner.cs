namespace Latent.Tests.Cli;

/// <summary>Runs the command line in-process, capturing what it prints, as a user would see it.</summary>
public static class CliRunner
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return (Latent.Cli.Cli.Run(args), stdout.ToString(), stderr.ToString()); }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    /// <summary>Exit code 2 and one line on stderr, "latent: error: …", that contains <paramref name="expected"/>.</summary>
    public static void AssertUsageError((int Code, string Output, string Error) result, string expected)
    {
        Assert.Equal(2, result.Code);
        Assert.StartsWith("latent: error: ", result.Error);
        Assert.Contains(expected, result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }
}
