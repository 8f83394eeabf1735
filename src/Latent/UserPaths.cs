namespace Latent;

/// <summary>
/// Paths a user hands to Latent, checked where they enter: a path can be missing, a folder where a
/// file should be, a file where a folder should be, beneath a regular file (so it can never exist),
/// or unreadable or unwritable (locked by another process, no permission, a device error). Each of
/// these becomes a one-line <see cref="UserInputException"/> that names the path, what is wrong and
/// the fix; permissions alone are not relied on, since root may read and write anything.
/// </summary>
public static class UserPaths
{
    /// <summary>
    /// Checks that <paramref name="path"/> names an existing regular file. <paramref name="what"/>
    /// names it in the message ("CSV file"), <paramref name="fix"/> ends it ("pass csv:FILE with ..."), and
    /// <paramref name="options"/> lists the option names the fix uses (<see cref="UserInputException.Options"/>).
    /// </summary>
    public static void RequireFile(string path, string what, string fix, params IReadOnlyList<string> options)
    {
        if (File.Exists(path)) return;
        if (Directory.Exists(path)) throw new UserInputException($"{what} '{path}' is a folder, not a file; {fix}", options);
        if (FileAncestor(path) is string file) throw new UserInputException($"{what} '{path}' cannot exist because '{file}' is a file, not a folder; {fix}", options);
        throw new UserInputException($"{what} '{path}' does not exist; {fix}", options);
    }

    /// <summary>Checks that <paramref name="path"/> names an existing folder (see <see cref="RequireFile"/>).</summary>
    public static void RequireDirectory(string path, string what, string fix, params IReadOnlyList<string> options)
    {
        if (Directory.Exists(path)) return;
        if (File.Exists(path)) throw new UserInputException($"{what} '{path}' is a file, not a folder; {fix}", options);
        if (FileAncestor(path) is string file) throw new UserInputException($"{what} '{path}' cannot exist because '{file}' is a file, not a folder; {fix}", options);
        throw new UserInputException($"{what} '{path}' does not exist; {fix}", options);
    }

    /// <summary>Checks, before any work, that a file can be written at <paramref name="path"/>: it is no folder and lies under no regular file.</summary>
    public static void RequireWritableFile(string path, string what, string fix, params IReadOnlyList<string> options)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{what} '{path}' is a folder; {fix}", options);
        if (FileAncestor(path) is string file) throw new UserInputException($"{what} '{path}' cannot be written because '{file}' is a file, not a folder; {fix}", options);
    }

    /// <summary>Checks, before any work, that a folder can be made (or used) at <paramref name="path"/>: it is no regular file and lies under none.</summary>
    public static void RequireCreatableDirectory(string path, string what, string fix, params IReadOnlyList<string> options)
    {
        if (File.Exists(path)) throw new UserInputException($"{what} '{path}' is a file, not a folder; {fix}", options);
        if (FileAncestor(path) is string file) throw new UserInputException($"{what} '{path}' cannot be made because '{file}' is a file, not a folder; {fix}", options);
    }

    /// <summary>The nearest proper ancestor of <paramref name="path"/> that exists as a regular file, or null.</summary>
    public static string? FileAncestor(string path)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        while (!string.IsNullOrEmpty(parent))
        {
            if (File.Exists(parent)) return parent;
            if (Directory.Exists(parent)) return null;
            parent = Path.GetDirectoryName(parent);
        }
        return null;
    }

    /// <summary>Whether <paramref name="error"/> is a failure of the file system (locked, denied, a device error) rather than a bug.</summary>
    public static bool IsFileSystemError(Exception error) => error is IOException or UnauthorizedAccessException;

    /// <summary>The one-line error for a file that exists but cannot be read.</summary>
    public static UserInputException CannotRead(string path, Exception error, string fix, params IReadOnlyList<string> options) =>
        new($"cannot read '{path}' ({Reason(error)}); {fix}", options);

    /// <summary>The one-line error for a file that cannot be written.</summary>
    public static UserInputException CannotWrite(string path, Exception error, string fix, params IReadOnlyList<string> options) =>
        new($"cannot write '{path}' ({Reason(error)}); {fix}", options);

    /// <summary>The first line of an exception's message, without the trailing full stop.</summary>
    public static string Reason(Exception error) => error.Message.Split('\n')[0].Trim().TrimEnd('.');
}
