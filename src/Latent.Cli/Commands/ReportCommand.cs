using Latent.Cli.CommandLine;
using Latent.Reporting;
using Latent.Runs;

namespace Latent.Cli.Commands;

public sealed class ReportCommand : Command
{
    public override string Name => "report";
    public override string Summary => "write a self-contained report.html for a run, or compare runs side by side";
    public override string Usage => "latent report --run DIR | --compare DIR1 DIR2 ... [--out FILE.html]";

    public override int Run(Arguments arguments, Output output)
    {
        var compare = arguments.Claim("compare");
        string path;
        if (compare is not null)
        {
            var outPath = arguments.OutputFile("out", "report.html", "report.html");
            arguments.RejectUnknown();
            path = RunReport.Compare(compare.Select(RunDirectory.Open).ToList(), outPath);
        }
        else
        {
            var run = OpenRun(arguments);
            var outPath = arguments.OutputFile("out", run.File("report.html"), "report.html");
            arguments.RejectUnknown();
            path = RunReport.Write(run, outPath);
        }
        output.Line($"report written to {Path.GetFullPath(path)}");
        return 0;
    }
}
