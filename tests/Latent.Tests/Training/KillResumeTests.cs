using Latent.Nn;
using System.Diagnostics;
using Latent.Runs;
using Latent.Training;

namespace Latent.Tests.Training;

/// <summary>
/// SIGKILL a real training process at 20 moments spread over its whole run, each after training has
/// demonstrably advanced past a checkpoint, resume it each time, and compare with an uninterrupted run.
/// A second writer on a running run is refused and leaves the first one's files intact.
/// </summary>
public sealed class KillResumeTests
{
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "Latent.Cli.dll");
    const int Kills = 20;

    static string[] Train(string outPath) =>
        ["train", "--data", "shapes", "--limit", "3000", "--epochs", "12", "--hidden", "256", "--latent-dim", "8",
         "--batch-size", "64", "--checkpoint-every", "5", "--seed", "3", "--threads", "1", "--out", outPath, "--quiet"];

    static string[] Resume(string outPath) => ["train", "--resume", "--out", outPath, "--threads", "1", "--quiet"];

    static Process Start(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(Cli);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    /// <summary>The step of the run's latest checkpoint, or −1 while there is none (or it is being replaced).</summary>
    static long CheckpointStep(string run)
    {
        try { return CheckpointFile.ReadState(Path.Combine(run, "checkpoint", "last.safetensors"))?.Step ?? -1; }
        catch (Exception error) when (error is IOException or UserInputException) { return -1; }
    }

    static void AssertSucceeds(Process process)
    {
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
    }

    [Fact]
    public void A_run_killed_during_training_at_twenty_moments_resumes_to_bit_identical_weights()
    {
        using var folder = new TempDirectory();
        var whole = folder.File("whole");
        using (var reference = Start(Train(whole))) AssertSucceeds(reference);
        long totalSteps = CheckpointFile.ReadState(Path.Combine(whole, "checkpoint", "last.safetensors"))!.Step;

        var killed = folder.File("killed");
        var random = new Random(12345);
        // Where to kill: steps drawn uniformly over the whole run, in order.
        var targets = Enumerable.Range(0, Kills).Select(_ => (long)random.Next(6, (int)totalSteps - 10)).Order().ToArray();
        var killedAt = new List<long>();
        while (killedAt.Count < Kills)
        {
            bool isRun = File.Exists(Path.Combine(killed, "manifest.json"));
            long before = isRun ? CheckpointStep(killed) : -1;
            using var process = Start(isRun ? Resume(killed) : Train(killed));
            // Wait until this process has trained past a checkpoint of its own (so the kill lands in training, not in
            // start-up) and past the next target step.
            long seen = -1, target = Math.Max(targets[killedAt.Count], Math.Max(before, 0) + 1);
            while (!process.HasExited && (seen = CheckpointStep(killed)) < target) Thread.Sleep(2);
            if (!process.HasExited) Thread.Sleep(random.Next(0, 8));
            if (process.HasExited)
            {
                AssertSucceeds(process);
                break; // finished before the kill: the run is shorter than the kills need
            }
            process.Kill(); // SIGKILL
            process.WaitForExit();
            Assert.True(File.Exists(Path.Combine(killed, "manifest.json")), "a kill during training leaves the manifest");
            killedAt.Add(seen);
        }
        Assert.True(killedAt.Count == Kills, $"only {killedAt.Count} kills landed in training before the run finished; lengthen the run");
        Assert.True(killedAt.Max() - killedAt.Min() > totalSteps / 2, $"the kills (at steps {string.Join(", ", killedAt)}) should spread over the run's {totalSteps} steps");
        using (var last = Start(Resume(killed))) AssertSucceeds(last);

        foreach (var file in new[] { "checkpoint/last.safetensors", "model.safetensors" })
        {
            var expected = SafeTensors.Load(Path.Combine(whole, file)).Tensors;
            var actual = SafeTensors.Load(Path.Combine(killed, file)).Tensors;
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var key in expected.Keys) Assert.True(expected[key].SameAs(actual[key]), $"{file}: {key} differs after {Kills} kills");
        }
        Assert.Equal(MetricsLog.Read(Path.Combine(whole, "metrics.jsonl")).Select(row => row["val_loss"]),
                     MetricsLog.Read(Path.Combine(killed, "metrics.jsonl")).Select(row => row["val_loss"]));
    }

    [Fact]
    public void A_second_writer_is_refused_at_once_and_the_first_run_finishes_intact()
    {
        using var folder = new TempDirectory();
        var run = folder.File("run");
        using var first = Start(Train(run));
        while (!first.HasExited && CheckpointStep(run) <= 0) Thread.Sleep(10);
        Assert.False(first.HasExited, "the first writer finished before the second could try");

        foreach (var args in new[] { Train(run), Resume(run) })
        {
            using var second = Start(args);
            second.WaitForExit();
            var error = second.StandardError.ReadToEnd();
            Assert.Equal(2, second.ExitCode);
            Assert.Contains($"is being written by process {first.Id}", error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
        AssertSucceeds(first);
        Assert.Equal(Enumerable.Range(1, 12).Select(epoch => (double)epoch), MetricsLog.Read(Path.Combine(run, "metrics.jsonl")).Select(row => row["epoch"]));
    }
}
