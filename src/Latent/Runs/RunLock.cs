namespace Latent.Runs;

/// <summary>
/// One run, one writer: an exclusive OS file lock (flock on Linux and macOS, a sharing lock on Windows)
/// on <c>DIR/.lock</c>, held by every command that writes a run (train, resume, pca, eval, report,
/// export, the second stage's fit). The kernel releases it when the process ends, however it ends, so
/// a killed run never leaves a stale lock. The holder's process id and command go into
/// <c>DIR/.lock.pid</c> so that a second writer can say who holds it. Readers take no lock.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The files of the lock, which never count as a run's content.</summary>
    public static readonly string[] FileNames = [".lock", ".lock.pid"];

    readonly FileStream _stream;

    RunLock(FileStream stream) => _stream = stream;

    /// <summary>
    /// Takes the lock of the run folder <paramref name="path"/> (creating the folder if needed), or
    /// fails at once with a one-line error naming the process that holds it.
    /// </summary>
    public static RunLock Acquire(string path, string command) => Acquire(path, command, writeNote: true);

    static RunLock Acquire(string path, string command, bool writeNote)
    {
        var lockPath = Path.Combine(path, FileNames[0]);
        var pidPath = Path.Combine(path, FileNames[1]);
        FileStream stream;
        try
        {
            Directory.CreateDirectory(path);
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException error) when (File.Exists(lockPath) && !Directory.Exists(lockPath))
        {
            string holder = "another process";
            try
            {
                var text = File.ReadAllText(pidPath).Trim();
                if (text.Length > 0) holder = $"process {text}";
            }
            catch (Exception unreadable) when (unreadable is IOException or UnauthorizedAccessException) { }
            _ = error;
            throw new UserInputException($"'{path}' is being written by {holder}; wait for it to finish (or stop it), then try again");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"cannot lock the run folder '{path}' ({error.Message.Split('\n')[0]}); pass a folder you can write");
        }
        if (!writeNote) return new RunLock(stream);
        try
        {
            File.WriteAllText(pidPath, $"{Environment.ProcessId} ({command})\n");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The lock holds without the note; only the message of a second writer is poorer.
        }
        return new RunLock(stream);
    }

    /// <summary>Fails with the one-line error of <see cref="Acquire(string, string)"/> when another process holds the lock of <paramref name="path"/> now.</summary>
    public static void ThrowIfHeld(string path)
    {
        if (!File.Exists(Path.Combine(path, FileNames[0]))) return;
        using (Acquire(path, "latent (checking the lock)", writeNote: false)) { } // a check leaves the holder's note as it was
    }

    /// <summary>Releases the lock and removes its file.</summary>
    public void Dispose() => _stream.Dispose();
}
