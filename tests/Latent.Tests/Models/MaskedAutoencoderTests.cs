using Latent.Families;
using Latent.Data;
using Latent.Models;
using Latent.Models.Masked;
using Latent.Nn;
using static TorchSharp.torch;

namespace Latent.Tests.Models;

public sealed class MaskedAutoencoderTests
{
    static readonly DataShape Shape = DataShape.Image(1, 32, 32);

    static MaskedAutoencoder Build(MaeOptions? options = null)
    {
        manual_seed(2);
        options ??= new MaeOptions { Width = 32, Depth = 1, DecoderWidth = 16, DecoderDepth = 1 };
        options.Validate(Shape);
        var model = new MaskedAutoencoder(options, Shape);
        model.eval();
        return model;
    }

    [Fact]
    public void Reconstruct_copies_the_visible_quarter_of_the_patches_and_repeats_itself()
    {
        using var model = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = TestData.Shapes().Test.Features.narrow(0, 0, 6);
        var first = model.Reconstruct(x);
        Assert.True(first.SameAs(model.Reconstruct(x)));
        // Per example, the patches that equal the original exactly: at least the 16 visible of 64.
        var samePatches = Patches.Patchify(first.eq(x).to(ScalarType.Float32), 4).amin([-1]).sum([1]);
        Assert.True(samePatches.ge(16).all().item<bool>(), string.Join(",", samePatches.data<float>().ToArray()));
        Assert.True(samePatches.lt(40).all().item<bool>(), string.Join(",", samePatches.data<float>().ToArray()));
    }

    [Fact]
    public void Inpainting_hides_whole_patches_and_keeps_every_pixel_that_was_not_missing()
    {
        using var model = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = TestData.Shapes().Test.Features.narrow(0, 0, 3);
        var missing = zeros(x.shape, ScalarType.Bool);
        missing[.., .., 5..7, 5..7] = tensor(true); // inside the patch at rows 4..8, columns 4..8
        var result = model.Inpaint(x, missing);
        Assert.Equal(16 * 3, result.Hidden.sum().item<long>());
        Assert.True(result.Hidden[.., .., 4..8, 4..8].all().item<bool>());
        Assert.True(result.Filled.masked_select(missing.logical_not()).SameAs(x.masked_select(missing.logical_not())));
        Assert.True(result.Filled.ge(0).all().item<bool>() && result.Filled.le(1).all().item<bool>());
        Assert.Contains("hides every patch", Assert.Throws<UserInputException>(() => model.Inpaint(x, ones(x.shape, ScalarType.Bool))).Message);
    }

    [Fact]
    public void The_representation_sees_every_patch_without_masking()
    {
        using var model = Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = TestData.Shapes().Test.Features.narrow(0, 0, 2);
        var z = model.Encode(x);
        Assert.Equal(new long[] { 2, 32 }, z.shape);
        Assert.True(z.SameAs(model.Encode(x)));
        for (int corner = 0; corner < 4; corner++)
        {
            var changed = x.clone();
            changed[.., .., (corner / 2 * 28)..(corner / 2 * 28 + 4), (corner % 2 * 28)..(corner % 2 * 28 + 4)] = tensor(1f);
            Assert.False(model.Encode(changed).allclose(z));
        }
    }

    [Fact]
    public void Norm_pix_loss_trains_and_the_state_dict_mirrors_models_mae()
    {
        using var model = Build(new MaeOptions { Width = 32, Depth = 1, DecoderWidth = 16, DecoderDepth = 1, NormPixLoss = true });
        var loss = model.Loss(TestData.Shapes().Train.Features.narrow(0, 0, 8), LossContext.Training(new TrainingPosition(0, 0, 1), 0));
        Assert.True(float.IsFinite(loss.Total.item<float>()));
        var keys = model.state_dict().Keys.ToHashSet();
        foreach (var key in new[] { "clsToken", "posEmbed", "patchEmbed.proj.weight", "blocks.0.attn.qkv.weight", "norm.weight", "decoderEmbed.weight",
                                    "maskToken", "decoderPosEmbed", "decoderBlocks.0.mlp.fc1.weight", "decoderNorm.bias", "decoderPred.weight" })
            Assert.Contains(key, keys);
    }

    [Theory]
    [InlineData(5, 0.75, Architecture.Vit, "PatchSize 5")]
    [InlineData(4, 0.999, Architecture.Vit, "MaskRatio")]
    [InlineData(4, 0.75, Architecture.Mlp, "Arch vit")]
    public void Impossible_options_are_user_errors(int patchSize, double maskRatio, Architecture architecture, string expected)
    {
        var options = new MaeOptions { PatchSize = patchSize, MaskRatio = maskRatio, Arch = architecture };
        Assert.Contains(expected, Assert.Throws<UserInputException>(() => ModelCatalog.Find("mae").Validate(options, Shape)).Message);
        Assert.Contains("Family dae", Assert.Throws<UserInputException>(() => new MaeOptions().Validate(DataShape.Tokens(16, 30))).Message);
    }
}
