namespace Latent;

/// <summary>
/// A problem the user can fix: a bad path, a malformed file, a nonsense option. The message is one
/// line that names the problem and the fix; the command line prints it and exits with code 2.
/// Internal invariants throw ordinary exceptions instead.
/// </summary>
public sealed class UserInputException(string message) : Exception(message);
