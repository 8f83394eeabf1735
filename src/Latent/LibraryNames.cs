namespace Latent;

/// <summary>
/// The names the library's errors use for what is a parameter of a call rather than an option of a record:
/// listed in <see cref="UserInputException.Options"/> like an option, so that a front end can respell them
/// (the command line prints <c>--out</c>, <c>--resume</c>, <c>--run</c>, <c>--split</c>).
/// </summary>
internal static class LibraryNames
{
    /// <summary>The folder a new run is written to (<c>TrainRequest.Out</c>, <c>FitRequest.Out</c>).</summary>
    public const string Out = "Out";

    /// <summary>Continuing a run from its latest checkpoint (<c>TrainingRun.Resume</c>).</summary>
    public const string Resume = "Resume";

    /// <summary>An existing run, as opened by <c>RunDirectory.Open</c>.</summary>
    public const string Run = "RunDirectory";

    /// <summary>Which split of the data is read (<c>DataSplit</c>).</summary>
    public const string Split = "DataSplit";
}
