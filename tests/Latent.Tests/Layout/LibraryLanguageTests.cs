using System.Text.RegularExpressions;

namespace Latent.Tests.Layout;

/// <summary>
/// The library's errors speak the library's language: an option is named by its property (<c>Lr</c>), never by a
/// command-line flag (<c>--lr</c>), and the command line respells the names an error lists into its flags.
/// </summary>
public sealed class LibraryLanguageTests
{
    static readonly Regex Throw = new(@"new UserInputException\((?<arguments>.*?)\);\s*$", RegexOptions.Singleline | RegexOptions.Multiline);
    static readonly Regex Flag = new(@"(?<![\w-])--[a-z]");

    [Fact]
    public void No_error_of_the_library_names_a_command_line_flag()
    {
        var library = Repository.File("src/Latent");
        var offenders = Directory.EnumerateFiles(library, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(file =>
            {
                var text = File.ReadAllText(file);
                return Throw.Matches(text).Where(match => Flag.IsMatch(match.Groups["arguments"].Value))
                    .Select(match => $"{Path.GetRelativePath(library, file)}:{text[..match.Index].Count(c => c == '\n') + 1}");
            })
            .ToList();
        Assert.True(offenders.Count == 0, $"{offenders.Count} library errors name a flag (name the option's property and list it): " + string.Join(", ", offenders));
    }

    [Fact]
    public void A_front_end_respells_only_the_whole_option_names_an_error_lists()
    {
        var error = new UserInputException("LrFloor 2 must be a fraction of Lr in [0, 1]; Lr itself is fine", "LrFloor", "Lr");
        Assert.Equal("--lr-floor 2 must be a fraction of --lr in [0, 1]; --lr itself is fine",
            error.MessageIn(name => "--" + OptionNames.Kebab(name)));
        Assert.Equal("LrFloor 2 must be a fraction of Lr in [0, 1]; Lr itself is fine", error.Message);
        Assert.Equal("Lr is fine", new UserInputException("Lr is fine").MessageIn(name => "--" + name));
    }
}
