using System.Security.Cryptography;
using System.Text;

namespace Latent.Data;

/// <summary>
/// Prepared copies of a source's examples, written once and memory-mapped on every later use: e.g. the
/// decompressed bytes of a gzip IDX file, so that a streamed split reads its batches straight from the
/// page cache. A copy is named by its source (full path, size, modification time), and is used only when
/// its size is the one expected and its SHA-256 matches the one written beside it; otherwise (missing,
/// truncated, altered, or its source changed) it is written again. Writing goes to a temporary file that
/// is renamed into place, so a crash never leaves a copy that would be used half-made.
/// <para>
/// The folder is <c>$LATENT_CACHE</c>, else <c>$XDG_CACHE_HOME/latent</c>, else <c>~/.cache/latent</c>.
/// </para>
/// </summary>
public static class PreparedCache
{
    /// <summary>The environment variable that names the cache folder.</summary>
    public const string Variable = "LATENT_CACHE";

    /// <summary>The folder prepared copies are kept in.</summary>
    public static string Folder
    {
        get
        {
            var custom = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrEmpty(custom)) return custom;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "latent");
        }
    }

    /// <summary>
    /// The path of a prepared copy of <paramref name="source"/> (<paramref name="kind"/> tells copies of one
    /// source apart), <paramref name="expectedBytes"/> long, made by <paramref name="write"/> when no intact one exists.
    /// </summary>
    public static string For(string source, string kind, long expectedBytes, Action<Stream> write)
    {
        var sourceInfo = new FileInfo(source);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{sourceInfo.FullName}\n{sourceInfo.Length}\n{sourceInfo.LastWriteTimeUtc.Ticks}\n{kind}")))[..20];
        var folder = Folder;
        var path = Path.Combine(folder, $"{kind}-{key}.bin");
        var checksumPath = path + ".sha256";
        if (Intact(path, checksumPath, expectedBytes)) return path;

        string temporary = $"{path}.{Guid.NewGuid():N}.tmp", temporaryChecksum = $"{checksumPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(folder);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(file);
                file.Flush(flushToDisk: true);
                if (file.Length != expectedBytes)
                    throw new InvalidOperationException($"the prepared copy of '{source}' came out {file.Length} bytes long, not {expectedBytes}");
            }
            File.WriteAllText(temporaryChecksum, Checksum(temporary));
            File.Move(temporaryChecksum, checksumPath, overwrite: true);
            File.Move(temporary, path, overwrite: true);
            return path;
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw new UserInputException($"cannot write the prepared copy '{temporary}' ({UserPaths.Reason(error)}); set {Variable} to a folder with room " +
                                         $"that you can write, or hold the data in memory: {nameof(DataOptions.Storage)} memory", nameof(DataOptions.Storage));
        }
        finally
        {
            File.Delete(temporary);
            File.Delete(temporaryChecksum);
        }
    }

    /// <summary>Whether the copy at <paramref name="path"/> has the expected size and the checksum written beside it.</summary>
    static bool Intact(string path, string checksumPath, long expectedBytes)
    {
        try
        {
            return File.Exists(path) && File.Exists(checksumPath) && new FileInfo(path).Length == expectedBytes
                && File.ReadAllText(checksumPath).Trim() == Checksum(path);
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            return false;   // unreadable: it is written again
        }
    }

    static string Checksum(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
