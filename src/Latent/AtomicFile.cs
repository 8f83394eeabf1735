using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Latent;

/// <summary>
/// Writes a file so that a crash at any moment leaves either the old file or the new one, never a
/// torn one: the content goes to a temporary sibling (<c>.NAME.PID.tmp</c>), is flushed to disk, is renamed
/// over the target, and the folder itself is flushed so that the rename survives a power cut.
/// Temporary siblings left by writers that died are removed. Every file Latent writes is written this
/// way, except the append-only logs (metrics.jsonl, train.log), whose torn last line readers skip.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>; a path that cannot be written
    /// (a folder, a path beneath a file, no permission, a full disk) is a one-line <see cref="UserInputException"/>.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        UserPaths.RequireWritableFile(path, "output", "move it out of the way or write elsewhere");
        string temporary = "";
        string directory;
        try
        {
            directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            if (Directory.Exists(path)) throw new IOException("it is a folder");
            temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            temporary = "";
        }
        catch (Exception error)
        {
            TryDelete(temporary); // never hides the error itself
            if (error is IOException or UnauthorizedAccessException)
                throw new UserInputException($"cannot write '{path}' ({error.Message.Split('\n')[0]}); pass a writable file path");
            throw;
        }
        SyncDirectory(directory);
        RemoveOrphans(directory, Path.GetFileName(path));
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically: to a temporary file beside it, flushed to disk, then renamed over it, so that a reader sees the old file or the new one, never half of one.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Flushes a folder's entries (a rename into it) to disk; where the platform cannot, nothing happens.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            int descriptor = Open(directory, 0 /* O_RDONLY */);
            if (descriptor < 0) return;
            FileSync(descriptor);
            Close(descriptor);
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without libc the rename is still atomic; only its durability across a power cut is weaker.
        }
    }

    /// <summary>Deletes <c>.NAME.PID.tmp</c> siblings of <paramref name="name"/> whose writer is no longer running.</summary>
    static void RemoveOrphans(string directory, string name)
    {
        try
        {
            foreach (var candidate in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
            {
                var middle = Path.GetFileName(candidate)[(name.Length + 2)..^4];
                if (int.TryParse(middle, out int pid) && pid != Environment.ProcessId && !IsRunning(pid)) TryDelete(candidate);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Whether a process with this id is running now.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    static void TryDelete(string path)
    {
        if (path == "") return;
        try { File.Delete(path); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int FileSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
