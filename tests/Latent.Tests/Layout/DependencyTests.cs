using NetArchTest.Rules;

namespace Latent.Tests.Layout;

/// <summary>
/// The library's rooms and the way data goes through them, one direction only: layers (Nn) and data
/// (Data) know nothing of models; models know layers and data; training and evaluation know models;
/// runs know how to store what training made; families, workflows, reporting and export sit on top.
/// A room may use only the rooms listed for it (and the root namespace, Latent, which uses none).
/// </summary>
public sealed class DependencyTests
{
    static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Nn"] = [],
        ["Data"] = [],
        ["Models"] = ["Nn", "Data"],
        ["Training"] = ["Models", "Nn", "Data"],
        ["Evaluation"] = ["Training", "Models", "Nn", "Data"],   // probes and the feature networks of sample quality train
        ["Families"] = ["Training", "Models", "Nn", "Data"],   // a family names its default training options
        ["Runs"] = ["Families", "Evaluation", "Training", "Models", "Nn", "Data"],   // a run stores what evaluation scored (scores.csv)
        ["Export"] = ["Runs", "Families", "Models", "Nn", "Data"],
        ["Reporting"] = ["Runs", "Evaluation", "Families", "Training", "Models", "Nn", "Data"],
        ["Workflows"] = ["Reporting", "Runs", "Evaluation", "Families", "Training", "Models", "Nn", "Data"],
    };

    /// <summary>Known crossings, each to be removed, never added to (none today).</summary>
    static readonly HashSet<string> KnownCrossings = [];

    public static TheoryData<string> Rooms => [.. MayUse.Keys];

    [Theory]
    [MemberData(nameof(Rooms))]
    public void A_room_uses_only_the_rooms_below_it(string room)
    {
        var forbidden = MayUse.Keys.Except(MayUse[room]).Where(other => other != room).Select(other => $"Latent.{other}").ToArray();
        var result = Types.InAssembly(typeof(MetricKey).Assembly).That().ResideInNamespace($"Latent.{room}")
            .ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        var failing = (result.FailingTypes ?? []).Select(type => type.FullName).Where(name => !KnownCrossings.Contains(name)).ToList();
        Assert.True(failing.Count == 0, $"Latent.{room} may use {(MayUse[room].Length == 0 ? "no other room" : string.Join(", ", MayUse[room]))}, but these types use more: " + string.Join(", ", failing));
    }

    [Fact]
    public void The_root_namespace_uses_no_room()
    {
        var result = Types.InAssembly(typeof(MetricKey).Assembly).That().ResideInNamespaceMatching("^Latent$")
            .ShouldNot().HaveDependencyOnAny([.. MayUse.Keys.Select(room => $"Latent.{room}")]).GetResult();
        Assert.True(result.IsSuccessful, "types of the root namespace Latent use rooms: " + string.Join(", ", result.FailingTypes?.Select(type => type.FullName) ?? []));
    }

    [Fact]
    public void Every_namespace_is_a_room()
    {
        var namespaces = typeof(MetricKey).Assembly.GetTypes().Select(type => type.Namespace).OfType<string>()
            .Where(name => name.StartsWith("Latent.", StringComparison.Ordinal)).Select(name => name.Split('.')[1]).Distinct();
        Assert.Empty(namespaces.Except(MayUse.Keys));
    }
}
