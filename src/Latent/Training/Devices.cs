using TorchSharp;

namespace Latent.Training;

/// <summary>
/// The devices a model can be trained on: the CPU, or a CUDA GPU where the application references a
/// TorchSharp CUDA build of libtorch. Checked before anything is written, so that a run never starts
/// on a device it cannot use.
/// </summary>
public static class Devices
{
    /// <summary>The device <paramref name="name"/> names (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>); a one-line error when it is not available here.</summary>
    public static torch.Device Resolve(string name)
    {
        if (name == "cpu") return torch.CPU;
        int index = 0;
        if (name != "cuda" && !(name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name[5..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index)))
            throw new UserInputException($"{nameof(TrainingOptions.Device)} {name} is not a device; pass cpu, cuda or cuda:N", nameof(TrainingOptions.Device));
        if (!torch.cuda.is_available())
            throw new UserInputException(
                $"{nameof(TrainingOptions.Device)} {name} needs a CUDA build of libtorch, and this program has only the CPU one; reference TorchSharp's CUDA package (libtorch-cuda-12.8-linux-x64 or libtorch-cuda-12.8-win-x64) instead of libtorch-cpu, or pass {nameof(TrainingOptions.Device)} cpu",
                nameof(TrainingOptions.Device));
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new UserInputException($"{nameof(TrainingOptions.Device)} {name}: this machine has {count} CUDA device{(count == 1 ? "" : "s")} (cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")}); pass one of them", nameof(TrainingOptions.Device));
        return torch.device(name);
    }
}
