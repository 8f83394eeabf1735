using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Latent;

/// <summary>
/// Settings for libtorch's native runtime that must be in place before it loads.
/// <para>
/// libtorch's OpenMP threads spin while they wait for work (libgomp's default). On a machine whose
/// cores are also busy with other work, spinning threads take the CPU from the working ones: on a
/// loaded 2-core machine a small training run took 45 s with spinning and 4 s without. So Latent asks
/// libgomp to sleep instead (OMP_WAIT_POLICY=PASSIVE) unless the user chose a policy. The variable
/// has to be in the native environment before libgomp loads, which .NET's
/// Environment.SetEnvironmentVariable does not reach on Unix, hence setenv.
/// </para>
/// </summary>
public static partial class NativeRuntime
{
    const string WaitPolicy = "OMP_WAIT_POLICY";

    // A library module initializer is what CA2255 warns about; here it is the point: whoever loads
    // Latent gets the setting before anything can touch libtorch.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    public static void Configure()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        if (Environment.GetEnvironmentVariable(WaitPolicy) is not null) return;
        try
        {
            SetEnvironment(WaitPolicy, "PASSIVE", overwrite: 0);
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without libc's setenv the default policy stays; only speed under load is affected.
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
