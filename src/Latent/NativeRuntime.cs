using System.Runtime.InteropServices;

namespace Latent;

/// <summary>
/// Settings for libtorch's native runtime that must be in place before it loads.
/// <para>
/// libtorch's OpenMP threads spin while they wait for work (libgomp's default). On a machine whose
/// cores are also busy with other work, spinning threads take the CPU from the working ones: on a
/// loaded 2-core machine a small training run took 45 s with spinning and 4 s without, and a
/// training step of the reference VAE 23 ms sleeping against 41–50 ms spinning. On an idle machine
/// it is the other way round: waking sleeping threads for each of the many small operations of a
/// step costs time, 6.9 ms a step sleeping against 5.1 ms spinning briefly. So Latent asks libgomp to
/// sleep (OMP_WAIT_POLICY=PASSIVE) by default, and <see cref="SpinIfIdle"/> lets a program that is
/// about to compute switch to a short spin (ACTIVE, GOMP_SPINCOUNT=10000, tens of microseconds) when
/// the cores are free. Neither is touched when the user set OMP_WAIT_POLICY. The variables have to be
/// in the native environment before libgomp loads, which .NET's Environment.SetEnvironmentVariable
/// does not reach on Unix, hence setenv.
/// </para>
/// <para>
/// glibc's malloc returns large freed blocks to the system at once: a block over its mmap threshold (128 KiB at first,
/// raised only as far as the largest block freed, at most 32 MiB) is unmapped when freed, and the top of the heap is
/// trimmed past 128 KiB. libtorch frees and reallocates the same large activations every step, so the kernel zeroes
/// fresh pages for each: on the 2-core machine two epochs of a conv autoencoder on 6000 Fashion-MNIST images took 10.2 s
/// (a third of it in the kernel) and 5.1 s with the threshold fixed at 32 MiB and the heap trimmed only past 1 GiB; the
/// conv VAE's evaluation 9.1 s and 3.0 s; peak memory changed by under 10 %. <see cref="Configure"/> sets both with
/// mallopt, unless the user set either (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES).
/// </para>
/// <para>
/// The library changes no process-wide state on its own: an application calls <see cref="Configure"/>
/// (and, if it likes, <see cref="SpinIfIdle"/>) first thing, before it touches TorchSharp, as the
/// command line does.
/// </para>
/// </summary>
public static partial class NativeRuntime
{
    const string WaitPolicy = "OMP_WAIT_POLICY";
    const string SpinCount = "GOMP_SPINCOUNT";
    static bool _userChosePolicy, _decided;

    /// <summary>
    /// Asks libgomp to let its threads sleep between operations (OMP_WAIT_POLICY=PASSIVE) unless the user set a
    /// policy. Call it before the first use of TorchSharp; later it has no effect on libtorch's threads.
    /// </summary>
    public static void Configure()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        _userChosePolicy = Environment.GetEnvironmentVariable(WaitPolicy) is not null;
        if (!_userChosePolicy) TrySet(WaitPolicy, "PASSIVE");
        if (OperatingSystem.IsLinux()) KeepLargeBlocks();
    }

    /// <summary>glibc's mmap threshold fixed at its largest (32 MiB) and the heap trimmed only past 1 GiB; see the class remarks.</summary>
    static void KeepLargeBlocks()
    {
        const int TrimThreshold = -1, MmapThreshold = -3;   // M_TRIM_THRESHOLD and M_MMAP_THRESHOLD of malloc.h
        if (new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES" }.Any(name => Environment.GetEnvironmentVariable(name) is not null)) return;
        try
        {
            MallocOption(MmapThreshold, 32 << 20);
            MallocOption(TrimThreshold, 1 << 30);
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            // Another C library (musl has no such tuning): only speed is affected.
        }
    }

    /// <summary>
    /// Before libtorch's first use: spin briefly instead of sleeping when the machine's cores are
    /// idle now (measured over 100 ms from /proc/stat). Does nothing after the first call, when the
    /// user chose a wait policy, or where /proc/stat is missing.
    /// </summary>
    public static void SpinIfIdle()
    {
        if (_decided || _userChosePolicy || !OperatingSystem.IsLinux()) return;
        _decided = true;
        if (IdleCores(TimeSpan.FromMilliseconds(100)) < Environment.ProcessorCount - 0.25) return;
        TrySet(WaitPolicy, "ACTIVE");
        if (Environment.GetEnvironmentVariable(SpinCount) is null) TrySet(SpinCount, "10000");
    }

    /// <summary>How many cores were idle on average over <paramref name="window"/>, from the "cpu" line of /proc/stat; 0 if unknown.</summary>
    static double IdleCores(TimeSpan window)
    {
        static (long Idle, long Total)? Read()
        {
            try
            {
                var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
                return (fields[3] + (fields.Length > 4 ? fields[4] : 0), fields.Sum()); // idle + iowait, all
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
            {
                return null;
            }
        }
        if (Read() is not { } before) return 0;
        Thread.Sleep(window);
        if (Read() is not { } after || after.Total <= before.Total) return 0;
        return Environment.ProcessorCount * (double)(after.Idle - before.Idle) / (after.Total - before.Total);
    }

    static void TrySet(string name, string value)
    {
        try
        {
            SetEnvironment(name, value, overwrite: 1);
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without libc's setenv libgomp's default policy stays; only speed is affected.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallocOption(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
