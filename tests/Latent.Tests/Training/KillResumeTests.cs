using System.Diagnostics;
using Latent.Runs;

namespace Latent.Tests.Training;

/// <summary>SIGKILL a real training process at random moments, resume it each time, and compare with an uninterrupted run.</summary>
public sealed class KillResumeTests
{
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Latent.Cli.dll");

    static string[] Train(string outPath) =>
        ["train", "--data", "shapes", "--limit", "3000", "--epochs", "3", "--hidden", "64", "--latent-dim", "8",
         "--batch-size", "64", "--checkpoint-every", "7", "--seed", "3", "--threads", "1", "--out", outPath, "--quiet"];

    static Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(Cli);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    [Fact]
    public void A_run_killed_at_random_moments_resumes_to_the_same_weights()
    {
        using var folder = new TempDirectory();
        var whole = folder.File("whole");
        using (var reference = Start(Train(whole)))
        {
            reference.WaitForExit();
            Assert.True(reference.ExitCode == 0, reference.StandardError.ReadToEnd());
        }

        var killed = folder.File("killed");
        var random = new Random(12345);
        int kills = 0;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            bool isRun = File.Exists(Path.Combine(killed, "manifest.json"));
            if (!isRun && Directory.Exists(killed)) Directory.Delete(killed, recursive: true); // killed before the run existed
            var args = isRun ? ["train", "--resume", "--out", killed, "--threads", "1", "--quiet"] : Train(killed);
            using var process = Start(args);
            if (kills < 4 && !process.WaitForExit(random.Next(500, 3500)))
            {
                process.Kill(); // SIGKILL
                process.WaitForExit();
                kills++;
                continue;
            }
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
            break;
        }

        Assert.True(kills >= 2, $"only {kills} kills landed; the run finished too quickly to test anything");
        foreach (var file in new[] { "checkpoint/last.safetensors", "model.safetensors" })
        {
            var expected = SafeTensors.Load(Path.Combine(whole, file)).Tensors;
            var actual = SafeTensors.Load(Path.Combine(killed, file)).Tensors;
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var key in expected.Keys) Assert.True(expected[key].SameAs(actual[key]), $"{file}: {key} differs after {kills} kills");
        }
        Assert.Equal(MetricsLog.Read(Path.Combine(whole, "metrics.jsonl")).Select(row => row["val_loss"]),
                     MetricsLog.Read(Path.Combine(killed, "metrics.jsonl")).Select(row => row["val_loss"]));
    }
}
