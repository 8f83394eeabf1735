// `latent eval --disentanglement`: MIG, DCI and SAP of a model's codes against the generative factors
// of the test split (the built-in shapes), with disentanglement_lib's definitions (see each metric's
// file). The codes are Autoencoder.Encode's (the posterior mean for a VAE, as the library uses).
// The library samples fresh examples from the generative process (10 000 to fit, 5 000 to test);
// here the fixed test split plays that part, as in its *_on_fixed_data variants: MIG uses all of
// it, DCI and SAP fit their classifiers on its first ⌈2/3·N⌉ examples (the library's 2 : 1 ratio)
// and score them on the rest. Nothing here is random.

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latent.Data;
using Latent.Models;

namespace Latent.Evaluation.Disentanglement;

/// <summary>Everything one disentanglement evaluation measured, for eval.json, disentanglement.json and the CSV.</summary>
public sealed record DisentanglementResult(
    IReadOnlyList<float[]> Codes,
    IReadOnlyList<DiscreteFactor> Factors,
    IReadOnlyDictionary<string, float[]> RawFactors,
    int FitExamples,
    MigResult Mig,
    DciResult Dci,
    SapResult Sap)
{
    /// <summary>The eval.json figures (keys declared in <see cref="DisentanglementEvaluation"/>).</summary>
    public IReadOnlyDictionary<string, double> Figures => new Dictionary<string, double>
    {
        [DisentanglementEvaluation.MigKey.Name] = Mig.Score,
        [DisentanglementEvaluation.DciDisentanglementKey.Name] = Dci.Disentanglement,
        [DisentanglementEvaluation.DciCompletenessKey.Name] = Dci.Completeness,
        [DisentanglementEvaluation.DciInformativenessKey.Name] = Dci.Informativeness,
        [DisentanglementEvaluation.SapKey.Name] = Sap.Score,
    };

    /// <summary>
    /// disentanglement.json: the factors and how they were made discrete, the split, and every matrix
    /// behind the figures, [code dimension][factor]: mutual information, DCI importance, SAP accuracy.
    /// </summary>
    public string ToJson()
    {
        static JsonArray Matrix(double[][] rows) => new(rows.Select(row => (JsonNode?)new JsonArray(row.Select(v => (JsonNode?)v).ToArray())).ToArray());
        var json = new JsonObject
        {
            ["examples"] = Codes[0].Length,
            ["fit_examples"] = FitExamples,
            ["code_dimensions"] = Codes.Count,
            ["factors"] = new JsonArray(Factors.Select(f => (JsonNode?)new JsonObject { ["name"] = f.Name, ["classes"] = f.ClassCount, ["rule"] = f.Rule }).ToArray()),
            ["figures"] = new JsonObject(Figures.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
            ["dci_informativeness_train"] = Dci.InformativenessTrain,
            ["factor_entropy_nats"] = new JsonArray(Mig.FactorEntropy.Select(v => (JsonNode?)v).ToArray()),
            ["mutual_information_nats"] = Matrix(Mig.MutualInformation),
            ["dci_importance"] = Matrix(Dci.Importance),
            ["sap_accuracy"] = Matrix(Sap.Accuracy),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// disentanglement-codes.csv, one row per test example in order: the codes z0 … (float32, round-trip
    /// digits), each factor's class (the columns the metrics use), and the raw factor values as drawn.
    /// </summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        var rawNames = RawFactors.Keys.Where(name => name != "shape").ToArray();
        csv.AppendJoin(',', Enumerable.Range(0, Codes.Count).Select(j => $"z{j}").Concat(Factors.Select(f => f.Name)).Concat(rawNames.Select(name => $"{name}_value")));
        csv.Append('\n');
        for (int i = 0; i < Codes[0].Length; i++)
        {
            csv.AppendJoin(',', Codes.Select(code => code[i].ToString("R", CultureInfo.InvariantCulture))
                .Concat(Factors.Select(f => f.Classes[i].ToString(CultureInfo.InvariantCulture)))
                .Concat(rawNames.Select(name => RawFactors[name][i].ToString("R", CultureInfo.InvariantCulture))));
            csv.Append('\n');
        }
        return csv.ToString();
    }
}

/// <summary>The entry point of <c>latent eval --disentanglement</c>.</summary>
public static class DisentanglementEvaluation
{
    /// <summary>The file beside eval.json that holds the matrices (the report draws the importance matrix from it).</summary>
    public const string FileName = "disentanglement.json";

    /// <summary>The file beside eval.json with the codes and factors the figures were computed from, to recompute them elsewhere.</summary>
    public const string CodesFileName = "disentanglement-codes.csv";

    /// <summary>Share of the test split DCI and SAP fit their classifiers on (the first examples); they are scored on the rest.</summary>
    public const double FitFraction = 2.0 / 3.0;

    /// <summary>
    /// Codes wider than this are refused: DCI grows 100 trees per factor class over every dimension, and
    /// per-dimension scores of a wide representation (a VQ-VAE's 8×8 grid of code vectors) say little.
    /// </summary>
    public const int MaxDimensions = 256;

    // The eval.json keys written here, with their meanings.
    /// <summary>The figure <c>mig</c>: mutual information gap (Chen et al. 2018) on the test split: for each generative factor, the mutual information of the best code dimension minus the second best (codes in 20-bin histograms), over the factor's entropy, averaged over factors; 1 = each factor in one dimension of its own.</summary>
    public static readonly MetricKey MigKey = new("mig", "mutual information gap (Chen et al. 2018) on the test split: for each generative factor, the mutual information of the best code dimension minus the second best (codes in 20-bin histograms), over the factor's entropy, averaged over factors; 1 = each factor in one dimension of its own");
    /// <summary>The figure <c>dci_disentanglement</c>: DCI disentanglement (Eastwood &amp; Williams 2018): 1 − the entropy over factors of each code dimension's importance (gradient-boosted trees, one classifier per factor, fitted on the first 2/3 of the test split), weighted by the dimension's share of importance.</summary>
    public static readonly MetricKey DciDisentanglementKey = new("dci_disentanglement", "DCI disentanglement (Eastwood & Williams 2018): 1 − the entropy over factors of each code dimension's importance (gradient-boosted trees, one classifier per factor, fitted on the first 2/3 of the test split), weighted by the dimension's share of importance");
    /// <summary>The figure <c>dci_completeness</c>: DCI completeness: 1 − the entropy over code dimensions of each factor's importances, weighted by the factor's share; 1 = each factor captured by a single dimension.</summary>
    public static readonly MetricKey DciCompletenessKey = new("dci_completeness", "DCI completeness: 1 − the entropy over code dimensions of each factor's importances, weighted by the factor's share; 1 = each factor captured by a single dimension");
    /// <summary>The figure <c>dci_informativeness</c>: DCI informativeness: mean accuracy, on the last third of the test split, of the gradient-boosted trees (100 stages, depth 3, learning rate 0.1) that predict each factor from the codes.</summary>
    public static readonly MetricKey DciInformativenessKey = new("dci_informativeness", "DCI informativeness: mean accuracy, on the last third of the test split, of the gradient-boosted trees (100 stages, depth 3, learning rate 0.1) that predict each factor from the codes");
    /// <summary>The figure <c>sap</c>: separated attribute predictability (Kumar et al. 2018): for each factor, the held-out accuracy of a linear SVM (C = 0.01, balanced) on the best single code dimension minus that of the second best, averaged over factors.</summary>
    public static readonly MetricKey SapKey = new("sap", "separated attribute predictability (Kumar et al. 2018): for each factor, the held-out accuracy of a linear SVM (C = 0.01, balanced) on the best single code dimension minus that of the second best, averaged over factors");

    /// <summary>Throws the one-line error a user gets when <paramref name="test"/> or <paramref name="model"/> cannot be scored, before any work.</summary>
    public static void CheckApplies(Autoencoder model, Dataset test)
    {
        GroundTruthFactors.Discretise(test);
        if (model is IDiscreteCodes)
            throw new UserInputException($"{nameof(EvaluationOptions.Disentanglement)} scores the dimensions of a continuous code, and this model's codes are discrete (codebook indices); evaluate an ae, vae, linear or pca run", nameof(EvaluationOptions.Disentanglement));
        if (model.RepresentationSize < 2)
            throw new UserInputException($"{nameof(EvaluationOptions.Disentanglement)} compares code dimensions with each other; this run's code has {model.RepresentationSize}, train one with {nameof(ModelOptions.LatentDim)} 2 or more",
                nameof(EvaluationOptions.Disentanglement), nameof(ModelOptions.LatentDim));
        if (model.RepresentationSize > MaxDimensions)
            throw new UserInputException($"{nameof(EvaluationOptions.Disentanglement)} scores each dimension of a continuous code, at most {MaxDimensions}; this run's representation has {model.RepresentationSize} (a VQ-VAE's grid of code vectors, or a wide code); evaluate a model with {nameof(ModelOptions.LatentDim)} {MaxDimensions} or less",
                nameof(EvaluationOptions.Disentanglement), nameof(ModelOptions.LatentDim));
        if (test.Count < 6)
            throw new UserInputException($"{nameof(EvaluationOptions.Disentanglement)} needs a test split of at least 6 examples to fit and score its classifiers; this one has {test.Count}", nameof(EvaluationOptions.Disentanglement));
    }

    /// <summary>MIG, DCI and SAP of <paramref name="model"/>'s codes against the factors of <paramref name="test"/>.</summary>
    public static DisentanglementResult Evaluate(Autoencoder model, Dataset test, int batchSize = 500)
    {
        CheckApplies(model, test);
        var factors = GroundTruthFactors.Discretise(test);
        using var all = Batched.Encode(model, test, batchSize);
        using var columns = all.t().contiguous();                                       // [N, D] -> [D, N]
        var flat = columns.data<float>().ToArray();
        int n = test.Count, dimensions = (int)all.shape[1];
        if (flat.Any(value => !float.IsFinite(value)))
            throw new UserInputException("the run's codes of the test split contain NaN or infinite values, so they cannot be scored; train the run again");
        var codes = Enumerable.Range(0, dimensions).Select(j => flat.AsSpan(j * n, n).ToArray()).ToArray();
        return Score(codes, factors, test.Factors!);
    }

    /// <summary>
    /// MIG on every example, DCI and SAP fitted on the first ⌈<see cref="FitFraction"/>·N⌉ and scored on
    /// the rest, from codes [dimension][example] and factors (<paramref name="rawFactors"/> only go to the CSV).
    /// </summary>
    public static DisentanglementResult Score(IReadOnlyList<float[]> codes, IReadOnlyList<DiscreteFactor> factors,
                                              IReadOnlyDictionary<string, float[]> rawFactors)
    {
        int n = codes[0].Length;
        var classes = factors.Select(f => f.Classes).ToArray();
        foreach (var factor in factors.Where(f => f.Classes.Distinct().Count() < 2))
            throw new UserInputException($"factor '{factor.Name}' takes a single value on this test split, so nothing can be measured against it; evaluate on more examples");

        int fit = (int)Math.Ceiling(n * FitFraction);
        var (fitCodes, scoreCodes) = (codes.Select(c => c[..fit]).ToArray(), codes.Select(c => c[fit..]).ToArray());
        var (fitFactors, scoreFactors) = (classes.Select(c => c[..fit]).ToArray(), classes.Select(c => c[fit..]).ToArray());
        foreach (var (factor, _) in factors.Zip(fitFactors).Where(pair => pair.Second.Distinct().Count() < 2))
            throw new UserInputException($"factor '{factor.Name}' takes a single value on the first {fit} test examples, so no classifier can be fitted to it; evaluate on more examples");

        var mig = MutualInformationGap.Compute(codes, classes);
        var dci = Dci.Compute(fitCodes, fitFactors, scoreCodes, scoreFactors);
        var sap = SeparatedAttributePredictability.Compute(fitCodes, fitFactors, scoreCodes, scoreFactors);
        return new DisentanglementResult(codes, factors, rawFactors, fit, mig, dci, sap);
    }
}
