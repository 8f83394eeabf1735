using System.Diagnostics;
using System.Text.Json;
using Latent.Evaluation.Disentanglement;
using Xunit.Abstractions;
using static Latent.Tests.Evaluation.Disentanglement.SyntheticCodes;

namespace Latent.Tests.Evaluation.Disentanglement;

/// <summary>
/// Latent's MIG, DCI and SAP against tests/python/disentanglement_reference.py, which recomputes them
/// from the same CSV with scikit-learn, following disentanglement_lib's definitions.
/// </summary>
public sealed class DisentanglementReferenceTests(ITestOutputHelper output)
{
    const string Python = "/usr/bin/python3";
    static readonly string Script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../python/disentanglement_reference.py"));
    static readonly Lazy<bool> SklearnInstalled = new(() => Run(["-c", "import sklearn, scipy, numpy"]).ExitCode == 0);

    internal static (int ExitCode, string Output) Run(IEnumerable<string> args)
    {
        if (!File.Exists(Python)) return (-1, "no python3");
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, process.ExitCode == 0 ? stdout.Result : stdout.Result + stderr);
    }

    /// <summary>The reference's figures for a CSV written by <see cref="DisentanglementResult.ToCsv"/>.</summary>
    internal static JsonElement Reference(string csv)
    {
        var (code, text) = Run([Script, csv]);
        Assert.True(code == 0, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [SkippableFact]
    public void The_metrics_agree_with_scikit_learn_on_a_partly_disentangled_code()
    {
        Skip.IfNot(SklearnInstalled.Value, "Debian's python3-sklearn is not installed (apt-get install python3-sklearn)");
        // Four factors: two in dimensions of their own, two rotated into each other, plus two noise dimensions.
        var factors = Factors(600, factors: 4, classes: 4, seed: 7);
        var codes = Mixed(factors, seed: 8).Concat(Unrelated(600, 1, seed: 9)).ToArray();
        var result = DisentanglementEvaluation.Score(codes, Named(factors, classes: 4), new Dictionary<string, float[]>());
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("codes.csv"), result.ToCsv());
        AssertAgrees(result, Reference(folder.File("codes.csv")), output);
    }

    /// <summary>
    /// Tolerances: MIG and the mutual information are the same arithmetic on the same float32 codes (1e-9).
    /// SAP's SVMs: liblinear stops its dual solver at a tolerance, Latent solves the primal exactly, so a
    /// held-out example right at a decision boundary may go either way: one example per factor and
    /// dimension, 1/(held-out count), on each accuracy. The boosted trees: the same algorithm, but
    /// scikit-learn breaks exact ties between features at random and sums in another order, which can
    /// change a split deep in the 100 stages; the importances are sums over thousands of trees, so they
    /// move little (0.02 on each entry), and D, C and I by less than 0.02.
    /// </summary>
    internal static void AssertAgrees(DisentanglementResult result, JsonElement reference, ITestOutputHelper output)
    {
        output.WriteLine($"Latent:    mig {result.Mig.Score:F6} D {result.Dci.Disentanglement:F6} C {result.Dci.Completeness:F6} I {result.Dci.Informativeness:F6} sap {result.Sap.Score:F6}");
        output.WriteLine($"reference: mig {reference.GetProperty("mig").GetDouble():F6} D {reference.GetProperty("dci_disentanglement").GetDouble():F6} C {reference.GetProperty("dci_completeness").GetDouble():F6} I {reference.GetProperty("dci_informativeness").GetDouble():F6} sap {reference.GetProperty("sap").GetDouble():F6}");
        var importance = reference.GetProperty("dci_importance").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        output.WriteLine($"largest difference of an importance: {importance.Zip(result.Dci.Importance, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max():G3}");
        Assert.Equal(result.FitExamples, reference.GetProperty("fit_examples").GetInt32());
        Assert.Equal(reference.GetProperty("mig").GetDouble(), result.Mig.Score, 1e-9);
        AssertMatrix(reference.GetProperty("mutual_information_nats"), result.Mig.MutualInformation, 1e-9);
        double oneExample = 1.0 / (result.Codes[0].Length - result.FitExamples);
        AssertMatrix(reference.GetProperty("sap_accuracy"), result.Sap.Accuracy, oneExample + 1e-12);
        Assert.Equal(reference.GetProperty("sap").GetDouble(), result.Sap.Score, 2 * oneExample + 1e-12);
        AssertMatrix(reference.GetProperty("dci_importance"), result.Dci.Importance, 0.02);
        Assert.Equal(reference.GetProperty("dci_disentanglement").GetDouble(), result.Dci.Disentanglement, 0.02);
        Assert.Equal(reference.GetProperty("dci_completeness").GetDouble(), result.Dci.Completeness, 0.02);
        Assert.Equal(reference.GetProperty("dci_informativeness").GetDouble(), result.Dci.Informativeness, 0.02);
    }

    static void AssertMatrix(JsonElement expected, double[][] actual, double tolerance)
    {
        var rows = expected.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(rows.Length, actual.Length);
        for (int j = 0; j < rows.Length; j++)
            for (int k = 0; k < rows[j].Length; k++)
                Assert.True(Math.Abs(rows[j][k] - actual[j][k]) <= tolerance, $"[{j}][{k}]: reference {rows[j][k]}, Latent {actual[j][k]}");
    }
}
