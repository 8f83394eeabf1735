using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>
/// Whether tensors hold only finite numbers: the check the trainer makes on gradients before every
/// step and on weights and optimiser moments before anything is saved. For float32 CPU tensors one
/// SIMD pass accumulating x·0 (which is 0 for every finite x and NaN for ±∞ and NaN); elsewhere libtorch.
/// </summary>
public static class Finite
{
    /// <summary>True when every element of every tensor is finite (integer tensors always are).</summary>
    public static bool All(IEnumerable<Tensor> tensors) => tensors.All(All);

    /// <summary>True when every element of <paramref name="tensor"/> is finite.</summary>
    public static bool All(Tensor tensor)
    {
        if (!tensor.is_floating_point()) return true;
        if (tensor.device_type != TorchSharp.DeviceType.CPU || tensor.dtype != ScalarType.Float32 || !tensor.is_contiguous())
        {
            using var finite = tensor.detach().isfinite().all();
            return finite.item<bool>();
        }
        var values = MemoryMarshal.Cast<byte, float>(tensor.bytes);
        var sum = Vector<float>.Zero;
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        foreach (var vector in vectors) sum += vector * Vector<float>.Zero;
        float rest = 0;
        for (int i = vectors.Length * Vector<float>.Count; i < values.Length; i++) rest += values[i] * 0;
        return float.IsFinite(Vector.Sum(sum) + rest);
    }
}
