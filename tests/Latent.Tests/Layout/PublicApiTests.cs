using PublicApiGenerator;

namespace Latent.Tests.Layout;

/// <summary>
/// The package's public API, every type and member, against the approved listing beside this file: a
/// change to it is a decision, made by copying Latent.received.txt over Latent.approved.txt and
/// committing the difference, never a side effect.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_api_is_the_approved_one()
    {
        var api = typeof(MetricKey).Assembly.GeneratePublicApi(new ApiGeneratorOptions { ExcludeAttributes = ["System.Runtime.Versioning.TargetFrameworkAttribute"] });
        var approved = Repository.File("tests/Latent.Tests/Layout/Latent.approved.txt");
        var received = Path.ChangeExtension(approved, null).Replace(".approved", ".received") + ".txt";
        var expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : "";
        if (api.ReplaceLineEndings("\n") == expected)
        {
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, api);
        Assert.Fail($"the public API of Latent changed: compare {received} with {approved}, and copy it over when the change is meant");
    }
}
