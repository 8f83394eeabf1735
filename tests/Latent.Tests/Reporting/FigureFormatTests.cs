using Latent.Reporting;

namespace Latent.Tests.Reporting;

public sealed class FigureFormatTests
{
    [Theory]
    [InlineData("test_mse", 0.0068871, "0.00689")]
    [InlineData("test_neg_elbo_nats", 241.126, "241.1")]
    [InlineData("linear_probe_accuracy", 0.8436, "84.4 %")]
    [InlineData("likelihood_quantity", 1, "1: Bernoulli on grey levels (not a likelihood)")]
    [InlineData("likelihood_quantity", 3, "3: −log p of 8-bit pixels")]
    [InlineData("likelihood_quantity", 9, "9")]   // a code this build does not know stays a number
    public void A_figure_is_shown_as_what_it_means(string key, double value, string shown) =>
        Assert.Equal(shown, FigureFormat.Format(key, value));
}
