namespace Latent.Runs;

/// <summary>
/// Writes a file so that a crash at any moment leaves either the old file or the new one, never a
/// torn one: the content goes to a temporary sibling, is flushed to disk, then renamed over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>; a path that cannot be written
    /// (a folder, no permission, a full disk) is a one-line <see cref="UserInputException"/>.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        UserPaths.RequireWritableFile(path, "output", "move it out of the way or write elsewhere");
        string temporary = "";
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception error)
        {
            if (temporary != "") File.Delete(temporary);
            if (error is IOException or UnauthorizedAccessException)
                throw new UserInputException($"cannot write '{path}' ({error.Message.Split('\n')[0]}); pass a writable file path");
            throw;
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
}
