using static TorchSharp.torch;

namespace Latent.Nn;

/// <summary>A module's state dict as named tensors, and back: what model files and checkpoints hold.</summary>
public static class ModuleWeights
{
    /// <summary>The module's state dict as named tensors, for saving.</summary>
    public static IEnumerable<(string Name, Tensor Tensor)> Of(nn.Module module) =>
        module.state_dict().Select(pair => (pair.Key, pair.Value));

    /// <summary>Copies named tensors into the module; every state-dict entry must be present with its shape.</summary>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in module.state_dict())
        {
            if (!tensors.TryGetValue(name, out var value))
                throw new UserInputException($"'{source}' has no tensor '{name}' for this model; the weights do not belong to the manifest's model");
            if (!value.shape.SequenceEqual(target.shape))
                throw new UserInputException(
                    $"'{source}' stores '{name}' as [{string.Join(", ", value.shape)}] where the model needs [{string.Join(", ", target.shape)}]; the weights do not belong to the manifest's model");
            if (value.dtype != target.dtype)
                throw new UserInputException($"'{source}' stores '{name}' as {value.dtype} where the model needs {target.dtype}; the weights do not belong to the manifest's model");
            target.copy_(value);
        }
    }
}
