using Latent.Runs;

namespace Latent.Explorer;

/// <summary>
/// The one folder the explorer writes into, <c>DIR/explore-cache/</c>: results computed once per run
/// (the map of the test codes, a fitted sampler). Everything else in a run is only read. When the
/// folder cannot be written (a read-only run), the explorer says so once and keeps its results in memory.
/// </summary>
public sealed class ExplorerCache
{
    /// <summary>The cache folder's name inside a run directory.</summary>
    public const string FolderName = "explore-cache";

    readonly Action<string> _warn;
    bool _warned;

    public ExplorerCache(RunDirectory run, Action<string> warn)
    {
        Folder = run.File(FolderName);
        _warn = warn;
    }

    /// <summary>The cache folder (it may not exist yet).</summary>
    public string Folder { get; }

    /// <summary>The path of a cached file.</summary>
    public string File(string name) => Path.Combine(Folder, name);

    /// <summary>The text of a cached file, or null when it is not there or cannot be read.</summary>
    public string? ReadText(string name)
    {
        try { return System.IO.File.Exists(File(name)) ? System.IO.File.ReadAllText(File(name)) : null; }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Writes a cached file atomically; returns false (warning once) when the run cannot be written to.</summary>
    public bool WriteText(string name, string text) => Try(() => AtomicFile.WriteAllText(File(name), text));

    /// <summary>Runs a write into the cache; returns false (warning once) when the run cannot be written to.</summary>
    public bool Try(Action write)
    {
        try
        {
            write();
            return true;
        }
        catch (Exception error) when (error is UserInputException or IOException or UnauthorizedAccessException)
        {
            if (!_warned) _warn($"the explorer cannot write its cache into {Folder} ({error.Message.Split('\n')[0]}); it keeps its results in memory instead");
            _warned = true;
            return false;
        }
    }
}
