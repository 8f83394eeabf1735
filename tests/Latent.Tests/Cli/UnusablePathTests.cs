using System.Security.Cryptography;
using Latent.Reporting;
using Latent.Runs;
using static Latent.Tests.Cli.CliRunner;

namespace Latent.Tests.Cli;

/// <summary>Three small trained runs (an ae without a validation split, a vqvae, a dae) that each test copies before it spoils the copy.</summary>
public sealed class TrainedRuns : IDisposable
{
    readonly TempDirectory _folder = new();

    public TrainedRuns()
    {
        Ae = Train("ae", "--model", "ae", "--hidden", "16", "--latent-dim", "2", "--validation-fraction", "0");
        Vq = Train("vq", "--model", "vqvae", "--hidden", "16", "--latent-dim", "4", "--slots", "4", "--codebook-size", "8", "--prior-epochs", "0");
        Dae = Train("dae", "--model", "dae", "--hidden", "16", "--latent-dim", "4", "--noise", "mask:0.5");
        Codes = _folder.File("codes.vq");
        Assert.Equal(0, Run("encode", "--run", Vq, "--data", "shapes", "--out", Codes, "--quiet").Code);
    }

    string Train(string name, params string[] options)
    {
        var path = _folder.File(name);
        var result = Run(["train", "--data", "shapes", "--limit", "200", "--epochs", "1", .. options, "--out", path, "--quiet"]);
        Assert.True(result.Code == 0, result.Error);
        return path;
    }

    public string Ae { get; }
    public string Vq { get; }
    public string Dae { get; }
    /// <summary>Packed codes written by <see cref="Vq"/>.</summary>
    public string Codes { get; }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// Every command against paths it cannot use: a folder where a file should be, a path beneath a
/// regular file, a file where a folder should be, a file locked by another writer (the tests run as
/// root, so permissions would not stop them). Each ends in one line "latent: error: ..." with exit
/// code 2 that names the problem, no run it touches changes by a byte, and no new run is left behind.
/// </summary>
public sealed class UnusablePathTests(TrainedRuns runs) : IClassFixture<TrainedRuns>
{
    const string Quick = "--data shapes --limit 100 --epochs 1 --hidden 8 --latent-dim 2 --quiet";

    /// <summary>(what the error must say, how to spoil the paths first, the command line); {names} are paths made by <see cref="Prepare"/>.</summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        // train: the run folder, every kind of data file, and a resumed run's own files
        { "is a file, not a folder", "", $"train --out {{file}} {Quick}" },
        { "cannot be made because", "", $"train --out {{file}}/run {Quick}" },
        { "is a folder, not a file", "", "train --data csv:{dir} --out {new} --quiet" },
        { "cannot exist because", "", "train --data csv:{file}/t.csv --out {new} --quiet" },
        { "cannot read", "lock:{csv}", "train --data csv:{csv} --out {new} --quiet" },
        { "is a folder, not a file", "", "train --model dae --data text:{dir} --out {new} --quiet" },
        { "cannot exist because", "", "train --model dae --data text:{file}/t.txt --out {new} --quiet" },
        { "cannot read", "lock:{text}", "train --model dae --data text:{text} --out {new} --quiet" },
        { "is a file, not a folder", "", "train --data images:{file} --out {new} --quiet" },
        { "cannot exist because", "", "train --data images:{file}/x --out {new} --quiet" },
        { "cannot read", "lock:{images}/b.png", "train --data images:{images} --out {new} --quiet" },
        { "is a file, not a folder", "", "train --data idx:{file} --out {new} --quiet" },
        { "is a folder, not a file", "folder:{dir}/train-images-idx3-ubyte", "train --data idx:{dir} --out {new} --quiet" },
        { "cannot read", "lock:{idx}/train-images-idx3-ubyte", "train --data idx:{idx} --out {new} --quiet" },
        { "is a folder", "folder:{run}/train.log", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a folder", "folder:{run}/metrics.jsonl", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a file", "file:{run}/checkpoint", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a folder", "folder:{run}/checkpoint/last.safetensors", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a folder", "folder:{run}/model.safetensors", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a folder", "folder:{run}/manifest.json", "train --resume --out {run} --epochs 2 --quiet" },
        { "cannot read", "lock:{run}/checkpoint/last.safetensors", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a folder", "folder:{run}/checkpoint/good.safetensors", "train --resume --out {run} --epochs 2 --quiet" },
        { "cannot read", "lock:{run}/manifest.json", "train --resume --out {run} --epochs 2 --quiet" },
        { "cannot append to", "lock:{run}/train.log", "train --resume --out {run} --epochs 2 --quiet" },
        { "cannot append to", "lock:{run}/metrics.jsonl", "train --resume --out {run} --epochs 2 --quiet" },
        { "is a file, not a folder", "", "train --resume --out {file} --quiet" },

        // pca
        { "is a file, not a folder", "", "pca --data shapes --components 2 --out {file}" },
        { "cannot be made because", "", "pca --data shapes --components 2 --out {file}/run" },
        { "is a folder, not a file", "", "pca --data csv:{dir} --components 2 --out {new}" },

        // eval: the run and its files, other data
        { "is a file, not a folder", "", "eval --run {file}" },
        { "cannot exist because", "", "eval --run {file}/run" },
        { "is a folder", "folder:{run}/manifest.json", "eval --run {run}" },
        { "cannot read", "lock:{run}/manifest.json", "eval --run {run}" },
        { "is a folder", "folder:{run}/model.safetensors", "eval --run {run}" },
        { "cannot read", "lock:{run}/model.safetensors", "eval --run {run}" },
        { "is a folder", "folder:{run}/eval.json", "eval --run {run}" },
        { "is a folder, not a file", "", "eval --run {run} --data csv:{dir}" },

        // reconstruct, sample, interpolate, inpaint: their pictures
        { "cannot be written because", "", "reconstruct --run {run} --out {file}/r.png" },
        { "is a folder", "", "reconstruct --run {run} --out {dir}" },
        { "is a folder", "folder:{run}/reconstructions.png", "reconstruct --run {run}" },
        { "cannot be written because", "", "sample --run {run} --sampler gaussian --out {file}/s.png" },
        { "is a folder", "folder:{run}/sampler-gaussian.safetensors", "sample --run {run} --sampler gaussian --out {new}.png" },
        { "cannot read", "lock:{run}/model.safetensors", "sample --run {run} --sampler gaussian --out {new}.png" },
        { "cannot be written because", "", "interpolate --run {run} --out {file}/i.png" },
        { "is a folder", "", "interpolate --run {run} --out {dir}" },
        { "cannot be written because", "", "inpaint --run {dae} --out {file}/i.png" },
        { "is a folder", "folder:{dae}/inpaint.png", "inpaint --run {dae}" },

        // encode: its output, a split the run does not have
        { "cannot be written because", "", "encode --run {run} --data shapes --out {file}/z.csv" },
        { "is a folder", "", "encode --run {run} --data shapes --out {dir}" },
        { "has no validation split", "", "encode --run {run} --data shapes --split validation --out {new}.csv" },
        { "cannot be written because", "", "encode --run {vq} --data shapes --out {file}/z.vq" },
        { "cannot exist because", "", "encode --run {run} --data csv:{file}/t.csv --out {new}.csv" },

        // decode: latent CSVs and packed codes in, pictures out
        { "is a folder, not a file", "", "decode --run {run} --in {dir} --out {new}.png" },
        { "cannot exist because", "", "decode --run {run} --in {file}/z.csv --out {new}.png" },
        { "cannot read", "lock:{z}", "decode --run {run} --in {z} --out {new}.png" },
        { "is a folder, not a file", "folder:{dir}/codes.vq", "decode --run {vq} --in {dir}/codes.vq --out {new}.png" },
        { "cannot read", "lock:{codes}", "decode --run {vq} --in {codes} --out {new}.png" },
        { "cannot be written because", "", "decode --run {run} --in {z} --out {file}/d.png" },

        // report: one run, several, the page
        { "is a folder", "folder:{run}/report.html", "report --run {run}" },
        { "is a folder", "folder:{run}/latent-space.png", "report --run {run}" },
        { "is a folder", "folder:{vq}/samples.png", "report --run {vq}" },
        { "cannot read", "lock:{run}/metrics.jsonl", "report --run {run}" },
        { "cannot read", "lock:{run}/eval.json", "report --run {run}" },
        { "cannot exist because", "", "report --compare {run} {file}/x --out {new}.html" },
        { "cannot be written because", "", "report --compare {run} {dae} --out {file}/r.html" },

        // demo: its folder (checked before anything trains)
        { "is a file, not a folder", "", "demo --out {file}" },
        { "cannot be made because", "", "demo --out {file}/demo" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_path_the_command_cannot_use_is_a_one_line_error_and_changes_nothing(string expected, string setup, string command)
    {
        using var scratch = new TempDirectory();
        var paths = Prepare(scratch);
        string Expand(string text) => paths.Aggregate(text, (current, pair) => current.Replace("{" + pair.Key + "}", pair.Value, StringComparison.Ordinal));

        var locks = new List<FileStream>();
        foreach (var step in setup.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (verb, path) = (step[..step.IndexOf(':')], Expand(step[(step.IndexOf(':') + 1)..]));
            switch (verb)
            {
                case "folder":
                    if (File.Exists(path)) File.Delete(path);
                    Directory.CreateDirectory(path);
                    break;
                case "file":
                    if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                    File.WriteAllText(path, "in the way\n");
                    break;
                case "lock":
                    if (!File.Exists(path)) File.WriteAllText(path, "");
                    break;
            }
        }
        var runsBefore = new[] { "run", "vq", "dae" }.ToDictionary(name => name, name => Snapshot(paths[name]));
        foreach (var step in setup.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(step => step.StartsWith("lock:", StringComparison.Ordinal)))
            locks.Add(new FileStream(Expand(step[5..]), FileMode.Open, FileAccess.ReadWrite, FileShare.None));
        (int Code, string Output, string Error) result;
        try
        {
            result = Run(Expand(command).Split(' '));
        }
        finally
        {
            foreach (var held in locks) held.Dispose();
        }

        AssertUsageError(result, expected);
        foreach (var (name, before) in runsBefore)
        {
            var after = Snapshot(paths[name]);
            var changed = before.Keys.Union(after.Keys).Where(key => before.GetValueOrDefault(key) != after.GetValueOrDefault(key)).ToList();
            Assert.True(changed.Count == 0, $"the failed command changed {name}: {string.Join(", ", changed)}");
        }
        Assert.False(Directory.Exists(paths["new"]) || File.Exists(paths["new"]) || File.Exists(paths["new"] + ".png") || File.Exists(paths["new"] + ".csv"),
            "a failed command left its output behind");
        Assert.Empty(Directory.EnumerateFiles(scratch.Path, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>Fresh copies of the trained runs and a few well-formed inputs in <paramref name="scratch"/>, by placeholder name.</summary>
    Dictionary<string, string> Prepare(TempDirectory scratch)
    {
        var paths = new Dictionary<string, string>
        {
            ["run"] = scratch.File("run"), ["vq"] = scratch.File("vq"), ["dae"] = scratch.File("dae"),
            ["file"] = scratch.File("plain.txt"), ["dir"] = scratch.File("empty"), ["new"] = scratch.File("new"),
            ["csv"] = scratch.File("t.csv"), ["text"] = scratch.File("t.txt"), ["z"] = scratch.File("z.csv"),
            ["codes"] = scratch.File("codes.vq"), ["images"] = scratch.File("images"), ["idx"] = scratch.File("idx"),
        };
        Copy(runs.Ae, paths["run"]);
        Copy(runs.Vq, paths["vq"]);
        Copy(runs.Dae, paths["dae"]);
        File.Copy(runs.Codes, paths["codes"]);
        File.WriteAllText(paths["file"], "a regular file\n");
        Directory.CreateDirectory(paths["dir"]);
        File.WriteAllLines(paths["csv"], Enumerable.Range(0, 40).Select(i => $"{i},{i % 7},{i % 3}"));
        File.WriteAllText(paths["text"], Latent.Tests.Data.TextSourceTests.SeededText());
        File.WriteAllText(paths["z"], "z0,z1\n0,0\n1,-1\n");
        Directory.CreateDirectory(paths["images"]);
        var png = Png.Encode(Enumerable.Range(0, 8 * 8).Select(i => (byte)(i * 3)).ToArray(), 8, 8, 1);
        for (int i = 0; i < 12; i++) File.WriteAllBytes(Path.Combine(paths["images"], i == 1 ? "b.png" : $"{i:D2}.png"), png);
        Directory.CreateDirectory(paths["idx"]);
        Latent.Tests.Data.IdxSourceTests.WriteSet(paths["idx"], trainCount: 30, testCount: 10, gzip: false);
        return paths;
    }

    static void Copy(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>Every folder and every file's SHA-256 under <paramref name="root"/>, by relative path; the lock's files are no part of a run.</summary>
    static SortedDictionary<string, string> Snapshot(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var directory in Directory.GetDirectories(root, "*", SearchOption.AllDirectories))
            entries[Path.GetRelativePath(root, directory) + "/"] = "folder";
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories).Where(file => !RunLock.FileNames.Contains(Path.GetFileName(file))))
            entries[Path.GetRelativePath(root, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        return entries;
    }
}
