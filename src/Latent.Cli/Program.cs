using Latent;
using Latent.Cli;
using Latent.Cli.CommandLine;

return Cli.Run(args);

namespace Latent.Cli
{
    /// <summary>Entry point: finds the command, runs it, and turns user errors into one line and exit code 2.</summary>
    public static class Cli
    {
        public static int Run(string[] args)
        {
            try
            {
                var arguments = new Arguments(args);
                if (arguments.Verb is null && arguments.Has("version"))
                {
                    var versions = Latent.Runs.Versions.Current;
                    Console.Out.WriteLine($"latent {versions.Latent} (TorchSharp {versions.TorchSharp}, libtorch {versions.LibTorch})");
                    return 0;
                }
                if (arguments.Verb is null || arguments.Verb is "help")
                {
                    Console.Out.WriteLine(CommandCatalog.Overview());
                    return arguments.Verb is null && !arguments.Has("help") && args.Length > 0 ? 2 : 0;
                }
                var command = CommandCatalog.Find(arguments.Verb);
                if (arguments.Has("help"))
                {
                    Console.Out.WriteLine(command.Help(arguments));
                    return 0;
                }
                NativeRuntime.Configure();  // before libtorch loads (ApplyThreads is its first use)
                NativeRuntime.SpinIfIdle();
                ApplyThreads(arguments);
                return command.Run(arguments, Output.From(arguments));
            }
            catch (UserInputException error)
            {
                Console.Error.WriteLine($"latent: error: {error.MessageIn(OptionBinder.Flag)}");
                return 2;
            }
            catch (Exception error) when (UserPaths.IsFileSystemError(error))
            {
                // The last safety net: every path a user names is checked where it enters, with a message of its own.
                Console.Error.WriteLine($"latent: error: {UserPaths.Reason(error)}; check the paths you passed and try again");
                return 2;
            }
            catch (TypeInitializationException error) when (error.TypeName == "TorchSharp.torch")
            {
                Console.Error.WriteLine($"latent: error: TorchSharp's native libraries did not load ({error.InnerException?.Message.Split('\n')[0]}); rebuild with 'dotnet build' so the build can prepare them");
                return 1;
            }
        }

        /// <summary>--threads N: libtorch's intra-op threads, for every command.</summary>
        static void ApplyThreads(Arguments arguments)
        {
            if (arguments.Whole("threads", 1, 1024) is int threads) TorchSharp.torch.set_num_threads(threads);
        }
    }
}
