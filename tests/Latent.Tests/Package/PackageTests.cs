using System.Text.RegularExpressions;

namespace Latent.Tests.Package;

/// <summary>
/// The library as a package consumer gets it: Latent is packed from this tree under a version of its
/// own (so no earlier build in the NuGet cache can stand in for it), and the README's C# program and
/// every file-based example in examples/ are run from a folder outside the repository with
/// <c>dotnet run FILE.cs</c>, their <c>#:package Latent@…</c> line pointed at that version.
/// </summary>
public sealed partial class PackageTests : IClassFixture<PackageTests.PackedLibrary>
{
    readonly PackedLibrary _package;

    public PackageTests(PackedLibrary package) => _package = package;

    [SkippableFact]
    public void The_readme_s_csharp_program_runs_against_the_package()
    {
        var blocks = CSharpBlock().Matches(System.IO.File.ReadAllText(Repository.File("README.md"))).Select(match => match.Groups[1].Value).ToList();
        Assert.NotEmpty(blocks);
        foreach (var program in blocks)
        {
            var output = _package.Run(program, "readme.cs");
            Assert.Matches(@"codes 64×8, reconstruction MSE 0\.0\d+", output);
        }
    }

    [SkippableTheory]
    [InlineData("vae-generate.cs", @"64 images from N\(0, I\)")]
    [InlineData("vq-compress.cs", @"bytes of codes \(\d+ bits per image, \d+× smaller\); decoded MSE 0\.\d+")]
    [InlineData("table-embeddings.cs", @"nearest-centroid accuracy: [\d.]+ ?% on the 2-D codes")]
    public void An_example_runs_against_the_package(string file, string expected)
    {
        var output = _package.Run(System.IO.File.ReadAllText(Repository.File(Path.Combine("examples", file))), file);
        Assert.Matches(expected, output);
    }

    [Fact]
    public void Every_file_based_example_is_run_by_a_test()
    {
        var tested = typeof(PackageTests).GetMethod(nameof(An_example_runs_against_the_package))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(data => (string)data.GetData(null!).First()[0]).ToHashSet();
        Assert.Equal(Directory.GetFiles(Repository.File("examples"), "*.cs").Select(Path.GetFileName).Order(), tested.Order());
    }

    /// <summary>Latent packed once for the class, into a local feed beside a nuget.config that adds it.</summary>
    public sealed class PackedLibrary : IDisposable
    {
        readonly TempDirectory _folder = new();
        readonly string? _failure;

        public PackedLibrary()
        {
            Version = $"0.1.0-test.{Guid.NewGuid():N}"[..22];
            var feed = _folder.File("feed");
            var pack = Repository.Dotnet(_folder.Path, "pack", Repository.File("src/Latent/Latent.csproj"), "-c", "Release", "-o", feed,
                                         "--artifacts-path", _folder.File("build"), $"-p:Version={Version}");
            if (pack.Code != 0) _failure = pack.Output.Contains("NU1301") ? null : pack.Output;
            Restorable = pack.Code == 0;
            System.IO.File.WriteAllText(_folder.File("nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="latent-under-test" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
        }

        public string Version { get; }
        bool Restorable { get; }

        /// <summary>Runs <paramref name="program"/> as the file-based app <paramref name="name"/> outside the repository; returns what it printed.</summary>
        public string Run(string program, string name)
        {
            Assert.True(_failure is null, $"dotnet pack failed:\n{_failure}");
            Skip.IfNot(Restorable, "dotnet cannot restore packages here (NU1301), so the package was not tested");
            Assert.Contains("#:package Latent@", program);
            var app = _folder.File(Path.GetFileNameWithoutExtension(name));
            Directory.CreateDirectory(app);
            System.IO.File.WriteAllText(Path.Combine(app, name), Regex.Replace(program, @"#:package Latent@\S+", $"#:package Latent@{Version}"));
            var run = Repository.Dotnet(app, "run", name);
            Skip.If(run.Code != 0 && run.Output.Contains("NU1301"), "dotnet cannot restore the packages of the program here (NU1301)");
            Assert.True(run.Code == 0, $"dotnet run {name} failed:\n{run.Output}");
            return run.Output;
        }

        public void Dispose() => _folder.Dispose();
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
