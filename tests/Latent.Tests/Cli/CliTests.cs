using Latent.Cli;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>The command line as a user meets it: exit codes, one-line errors, nothing written on bad input.</summary>
public sealed class CliTests
{
    [Theory]
    [InlineData("unknown model 'gan'", "train", "--model", "gan")]
    [InlineData("--latent-dim 0 must be positive", "train", "--latent-dim", "0")]
    [InlineData("--latent-dim '-x' is not a whole number", "train", "--latent-dim", "-x")]
    [InlineData("--epochs -1 must be positive", "train", "--epochs", "-1")]
    [InlineData("has no option --bogus", "train", "--bogus", "1")]
    [InlineData("--arch 'rnn' is not one of", "train", "--arch", "rnn")]
    [InlineData("unknown command 'trian'", "trian")]
    [InlineData("unknown data source 'mnist3'", "train", "--data", "mnist3")]
    [InlineData("does not exist", "train", "--data", "idx:/no/such/dir")]
    public void Bad_options_are_one_line_errors_with_exit_code_2(string expected, params string[] args)
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run([.. args, "--out", folder.File("run")]), expected);
        Assert.False(Directory.Exists(folder.File("run")));
    }

    [Fact]
    public void A_folder_that_is_not_a_run_is_named()
    {
        using var folder = new TempDirectory();
        AssertUsageError(Run("eval", "--run", folder.Path), "is not a run (it has no manifest.json)");
        AssertUsageError(Run("eval", "--run", folder.File("missing")), "does not exist");
        AssertUsageError(Run("reconstruct"), "needs --run");
    }

    [Fact]
    public void Train_eval_encode_decode_and_reconstruct_work_end_to_end()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        var train = Run("train", "--model", "ae", "--data", "shapes", "--limit", "300", "--epochs", "1", "--hidden", "32",
                        "--latent-dim", "4", "--out", run, "--quiet");
        Assert.Equal(0, train.Code);
        Assert.Equal("", train.Error);

        Assert.Equal(0, Run("eval", "--run", run).Code);
        var eval = File.ReadAllText(Path.Combine(run, "eval.json"));
        Assert.Contains("\"test_mse\"", eval);
        Assert.Contains("\"test_psnr_db\"", eval);

        var codes = folder.File("z.csv");
        Assert.Equal(0, Run("encode", "--run", run, "--data", "shapes", "--out", codes).Code);
        var lines = File.ReadAllLines(codes);
        Assert.Equal("z0,z1,z2,z3,label", lines[0]);
        Assert.Equal(2001, lines.Length);

        Assert.Equal(0, Run("decode", "--run", run, "--in", codes, "--out", folder.File("decoded.png")).Code);
        Assert.True(new FileInfo(folder.File("decoded.png")).Length > 1000);
        Assert.Equal(0, Run("reconstruct", "--run", run, "--count", "8", "--out", folder.File("r.png")).Code);
        Assert.True(File.Exists(folder.File("r.png")));

        // An output that names a folder, or sits under a file, is a one-line error, checked before any work.
        AssertUsageError(Run("decode", "--run", run, "--in", codes, "--out", folder.Path), "is a folder; pass a file name");
        AssertUsageError(Run("reconstruct", "--run", run, "--out", folder.Path), "is a folder; pass a file name");
        AssertUsageError(Run("report", "--compare", run + "/", run, "--out", folder.Path), "is a folder; pass a file name");
        AssertUsageError(Run("decode", "--run", run, "--in", codes, "--out", Path.Combine(codes, "d.png")), "cannot be written because");
        AssertUsageError(Run("reconstruct", "--run", run, "--count", "0"), "--count '0' must be a whole number from 1 to 10000");
    }

    [Fact]
    public void An_existing_run_is_never_overwritten_and_resume_refuses_changed_options()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        Assert.Equal(0, Run("train", "--data", "shapes", "--limit", "200", "--epochs", "1", "--hidden", "16", "--out", run, "--quiet").Code);
        var before = Directory.GetFiles(run, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);

        AssertUsageError(Run("train", "--data", "shapes", "--out", run), "already exists");
        AssertUsageError(Run("train", "--resume", "--out", run, "--latent-dim", "3"), "--latent-dim differs");
        AssertUsageError(Run("train", "--resume", "--out", run, "--model", "nonsense"), "unknown model");
        Assert.Equal(before, Directory.GetFiles(run, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc));

        Assert.Equal(0, Run("train", "--resume", "--out", run, "--epochs", "2", "--quiet").Code);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
    }

    [Fact]
    public void Help_lists_commands_and_family_options()
    {
        var overview = Run("--help");
        Assert.Equal(0, overview.Code);
        Assert.Contains("demo", overview.Output);
        var train = Run("train", "--help");
        Assert.Contains("--latent-dim", train.Output);
        Assert.Contains("--batch-size", train.Output);
    }
}
