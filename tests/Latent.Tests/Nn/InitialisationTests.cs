using Latent.Data;
using Latent.Models;
using Latent.Models.Plain;
using Latent.Models.Variational;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Tests.Nn;

public sealed class InitialisationTests
{
    [Fact]
    public void He_initialisation_draws_weights_with_variance_two_over_fan_in_and_zeroes_the_biases()
    {
        manual_seed(3);
        using var model = new PlainAutoencoder(new PlainOptions { Init = Initialisation.He, Hidden = [512, 256] }, DataShape.Image(1, 28, 28));
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var first = parameters["encoder.layers.0.weight"];   // [512, 784]: fan_in 784
        Assert.Equal(2.0 / 784, first.var().item<float>(), 2.0 / 784 * 0.05);
        Assert.Equal(0f, parameters["encoder.layers.0.bias"].abs().max().item<float>());
        Assert.Equal(0f, parameters["decoder.layers.4.bias"].abs().max().item<float>());
    }

    [Fact]
    public void The_default_initialisation_is_torchs_uniform_one()
    {
        manual_seed(3);
        using var model = new PlainAutoencoder(new PlainOptions(), DataShape.Image(1, 28, 28));
        var weight = model.named_parameters().First(p => p.name == "encoder.layers.0.weight").parameter;
        // Kaiming-uniform with a = √5: U(±1/√fan_in), variance 1/(3·fan_in)
        Assert.Equal(1.0 / (3 * 784), weight.var().item<float>(), 1.0 / (3 * 784) * 0.05);
        Assert.True(weight.abs().max().item<float>() <= 1 / Math.Sqrt(784) + 1e-6);
    }

    [Fact]
    public void The_variational_autoencoder_takes_he_initialisation_too()
    {
        manual_seed(3);
        using var model = new VariationalAutoencoder(new VaeOptions { Init = Initialisation.He, Arch = Architecture.Conv }, DataShape.Image(1, 28, 28));
        var convolution = model.named_parameters().First(p => p.name == "encoder.features.0.weight").parameter; // [32, 1, 4, 4]: fan_in 16
        Assert.Equal(2.0 / 16, convolution.var().item<float>(), 2.0 / 16 * 0.3);
        Assert.Equal(0f, model.named_parameters().First(p => p.name == "encoder.features.0.bias").parameter.abs().max().item<float>());
    }
}
