using Latent.Data;
using Latent.Models;
using Latent.Reporting;
using Latent.Runs;
using static TorchSharp.torch;

namespace Latent.Explorer;

/// <summary>An image decoded for a request, and how long the model call took.</summary>
public sealed record Decoded(byte[] Png, double Milliseconds);

/// <summary>
/// One run opened by the explorer: its model (read-only, in eval mode), its test split, what it
/// summarised of its latent space, and the panels that apply to it, found by capability. Every
/// method checks its request against the run (indices, sizes, ranges, codes within the codebook)
/// and throws a <see cref="UserInputException"/> with one line for a bad one; model calls go through
/// the <see cref="ModelGate"/>, each in its own dispose scope.
/// </summary>
public sealed class ExploredRun : IDisposable
{
    /// <summary>Most decoded points of a walk, both ends included.</summary>
    public const int MaxSteps = 32;
    /// <summary>Most draws per sample request.</summary>
    public const int MaxSamples = 64;
    /// <summary>Most examples per anomaly request.</summary>
    public const int MaxAnomalies = 64;
    /// <summary>Sliders shown: the most varying dimensions first.</summary>
    public const int MaxSliders = 24;
    /// <summary>Largest magnitude accepted for a latent coordinate or a map coordinate.</summary>
    public const double MaxCoordinate = 1e6;

    /// <summary>The panels a run can have, in page order.</summary>
    public static readonly IReadOnlyList<string> AllPanels = ["map", "sliders", "walk", "sample", "codes", "paint", "anomalies"];

    readonly Autoencoder _model;
    readonly ModelGate _gate;
    readonly DiscreteCodesView? _discrete;
    readonly IInpainting? _inpainting;
    readonly ExplorerSampler? _sampler;
    readonly AnomalyScores? _scores;
    readonly long[][]? _codeUsage;
    readonly Dictionary<string, string> _absent = new(StringComparer.Ordinal);

    ExploredRun(int id, string name, RunDirectory run, Manifest manifest, Dataset test, Autoencoder model, ModelGate gate, Action<string> say, string? dataSpec)
    {
        Id = id;
        Name = name;
        Run = run;
        Manifest = manifest;
        Test = test;
        _model = model;
        _gate = gate;
        var cache = new ExplorerCache(run, say);
        var data = dataSpec is null ? manifest.Data : manifest.Data with { Data = dataSpec };

        say($"{name}: summarising the codes of {Math.Min(test.Count, LatentSummary.MaxExamples)} test examples");
        Summary = gate.Run(() => LatentSummary.LoadOrCompute(cache, run, model, test, data.Data)).Result;

        _discrete = DiscreteCodesView.Of(model);
        if (_discrete is not null) _codeUsage = gate.Run(() => CountCodes(_discrete, test)).Result;
        else _absent["codes"] = "its codes are continuous, not a grid of discrete codes (a VQ-VAE has those)";
        if (_discrete is not null) _absent["sliders"] = "its codes are discrete: change them in the VQ codes panel";

        if (model is IInpainting { CanInpaint: true } inpainting) _inpainting = inpainting;
        else _absent["paint"] = model is IInpainting ? "this model was not trained to fill in masked parts (train it with --noise mask:P)"
                                                      : "only denoising and masked autoencoders fill in hidden parts";

        string? reason;
        (_sampler, reason) = ExplorerSampler.For(run, manifest, model, _discrete is not null, cache, data, gate);
        if (reason is not null) _absent["sample"] = reason;
        (_scores, reason) = AnomalyScores.Read(run.File(AnomalyScores.FileName), test.Count);
        if (reason is not null) _absent["anomalies"] = reason;
        if (test.Count < 2) _absent["walk"] = "a walk needs two test examples";
    }

    /// <summary>The run's number in the explorer's URLs.</summary>
    public int Id { get; }
    /// <summary>Its name on the page: the folder's.</summary>
    public string Name { get; }
    public RunDirectory Run { get; }
    public Manifest Manifest { get; }
    /// <summary>The test split the panels draw examples from.</summary>
    public Dataset Test { get; }
    /// <summary>The map and per-dimension spread of the test codes.</summary>
    public LatentSummary Summary { get; }

    /// <summary>The panels that apply to this run, in page order.</summary>
    public IReadOnlyList<string> Panels => AllPanels.Where(panel => !_absent.ContainsKey(panel)).ToList();

    /// <summary>The panels that do not apply, each with the reason.</summary>
    public IReadOnlyDictionary<string, string> AbsentPanels => _absent;

    /// <summary>
    /// Opens a run for exploring: an image run with weights and test data (its own, or
    /// <paramref name="dataSpec"/> of the same shape). Writes nothing but its cache.
    /// </summary>
    public static ExploredRun Open(int id, string name, string path, string? dataSpec, ModelGate gate, Action<string> say)
    {
        var run = RunDirectory.Open(path);
        var manifest = run.ReadManifest();
        if (manifest.Shape.Kind != DataKind.Image)
            throw new UserInputException($"'{path}' is a model of {manifest.Shape}; the explorer shows images, so pass --run with an image run");
        if (manifest.Model.Uses(nameof(ModelOptions.Condition)) && manifest.Model.Condition == Conditioning.Label)
            throw new UserInputException($"'{path}' is conditioned on labels ({nameof(ModelOptions.Condition)} label), which the explorer does not offer yet; sample it per label with 'latent sample --run {path} --label N'", nameof(ModelOptions.Condition));
        var data = dataSpec is null ? manifest.Data : manifest.Data with { Data = dataSpec };
        var test = RunData.Load(manifest, data, DataSplit.Test);
        if (test.Count == 0) throw new UserInputException($"{data.Data} has no test examples to explore; pass --data with a test split");
        var model = run.LoadModel(manifest);
        try
        {
            return new ExploredRun(id, name, run, manifest, test, model, gate, say, dataSpec);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // ---- examples and codes -------------------------------------------------------------------

    /// <summary>Test example <paramref name="index"/> as a PNG.</summary>
    public byte[] ExamplePng(int index)
    {
        CheckExample(index, "example");
        using var scope = NewDisposeScope();
        return PngImages.Single(Test.Features[index]);
    }

    /// <summary>The code [D] of test example <paramref name="index"/>.</summary>
    public float[] CodeOf(int index)
    {
        CheckExample(index, "example");
        return _gate.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return _model.Encode(Test.Features.narrow(0, index, 1)).to(ScalarType.Float32).data<float>().ToArray();
        }).Result;
    }

    /// <summary>The range a slider of dimension <paramref name="dimension"/> spans: the test codes' range, widened by a tenth on each side.</summary>
    public (double Low, double High) SliderRange(int dimension)
    {
        double low = Summary.Low[dimension], high = Summary.High[dimension], margin = Math.Max(0.1 * (high - low), 1e-3);
        return (low - margin, high + margin);
    }

    // ---- decoding -----------------------------------------------------------------------------

    /// <summary>Decodes one code [D].</summary>
    public Decoded Decode(float[]? code)
    {
        if (code is null) throw new UserInputException("the request has no code; send {\"code\": [z1, z2, ...]}");
        if (code.Length != Summary.Dimension)
            throw new UserInputException($"the code has {code.Length} numbers but this run's latent space has {Summary.Dimension} dimensions; send {Summary.Dimension}");
        int bad = Array.FindIndex(code, value => !float.IsFinite(value) || Math.Abs(value) > MaxCoordinate);
        if (bad >= 0) throw new UserInputException($"coordinate {bad} of the code is {code[bad]}; send finite numbers of magnitude at most {MaxCoordinate:G}");
        return Image(() => _model.Decode(tensor(code).reshape(1, code.Length)));
    }

    /// <summary>Decodes the point (x, y) of the map, lifted back into the latent space.</summary>
    public Decoded DecodeMapPoint(double? x, double? y)
    {
        if (x is not double px || y is not double py) throw new UserInputException("the request needs both map coordinates; send {\"x\": 0.5, \"y\": -1.2}");
        if (!double.IsFinite(px) || !double.IsFinite(py) || Math.Abs(px) > MaxCoordinate || Math.Abs(py) > MaxCoordinate)
            throw new UserInputException($"map point ({px}, {py}) is out of range; send finite coordinates of magnitude at most {MaxCoordinate:G}");
        return Decode(Summary.Lift(px, py));
    }

    /// <summary>Decoded points on the way between two test examples: a strip [from | steps | to].</summary>
    public Decoded Walk(int? from, int? to, int? steps, bool spherical)
    {
        if (from is not int a || to is not int b) throw new UserInputException("a walk needs two test examples; send {\"from\": 3, \"to\": 17}");
        CheckExample(a, "from");
        CheckExample(b, "to");
        int count = steps ?? 8;
        if (count is < 2 or > MaxSteps) throw new UserInputException($"steps {count} is out of range; send 2 to {MaxSteps} (both ends included)");
        using var pair = NewDisposeScope();
        var first = Test.Features.narrow(0, a, 1);
        var second = Test.Features.narrow(0, b, 1);
        return Image(() => LatentFigures.Interpolations(_model, first, second, count, spherical), strip: true);
    }

    /// <summary><paramref name="count"/> new examples seeded with <paramref name="seed"/>, as a near-square grid.</summary>
    public Decoded Sample(int? count, int? seed)
    {
        if (_sampler is null) throw Absent("sample");
        int draws = count ?? 16;
        if (draws is < 1 or > MaxSamples) throw new UserInputException($"count {draws} is out of range; ask for 1 to {MaxSamples} samples");
        var (png, milliseconds) = _sampler.Sample(draws, seed ?? 0);
        return new Decoded(png, milliseconds);
    }

    /// <summary>Where samples come from, in words (null without a sample panel).</summary>
    public string? SamplerDescription => _sampler?.Description;

    // ---- discrete codes -----------------------------------------------------------------------

    /// <summary>The discrete-code view, or null for continuous codes.</summary>
    public DiscreteCodesView? DiscreteCodes => _discrete;

    /// <summary>How often each code of each head occurs on the test split: [L][K].</summary>
    public long[][]? CodeUsage => _codeUsage;

    /// <summary>The integer codes [P][L] of test example <paramref name="index"/>.</summary>
    public long[][] DiscreteCodesOf(int index)
    {
        var view = _discrete ?? throw Absent("codes");
        CheckExample(index, "example");
        return _gate.Run(() =>
        {
            using var scope = NewDisposeScope();
            var codes = view.Codes(Test.Features.narrow(0, index, 1)).data<long>().ToArray();  // [1, P, L] flattened
            return Enumerable.Range(0, view.Positions).Select(p => codes.AsSpan(p * view.Heads, view.Heads).ToArray()).ToArray();
        }).Result;
    }

    /// <summary>Decodes a grid of integer codes [P][L].</summary>
    public Decoded DecodeCodes(long[][]? codes)
    {
        var view = _discrete ?? throw Absent("codes");
        if (codes is null) throw new UserInputException("the request has no codes; send {\"codes\": [[k], [k], ...]}, one list of heads per position");
        if (codes.Length != view.Positions)
            throw new UserInputException($"the request has codes for {codes.Length} positions but this run's grid has {view.Positions}; send one per position");
        for (int p = 0; p < codes.Length; p++)
        {
            if (codes[p] is null || codes[p].Length != view.Heads)
                throw new UserInputException($"position {p} has {codes[p]?.Length ?? 0} codes but the run has {view.Heads} heads; send {view.Heads} per position");
            foreach (long code in codes[p])
                if (code < 0 || code >= view.CodebookSize)
                    throw new UserInputException($"code {code} at position {p} is outside the codebook; send codes from 0 to {view.CodebookSize - 1}");
        }
        var flat = codes.SelectMany(heads => heads).ToArray();
        return Image(() => view.DecodeCodes(tensor(flat).reshape(1, view.Positions, view.Heads)));
    }

    // ---- painting -----------------------------------------------------------------------------

    /// <summary>The inpainting model, or null when the run does not fill in.</summary>
    public IInpainting? Inpainting => _inpainting;

    /// <summary>
    /// Hides the pixels marked '1' in <paramref name="mask"/> (H·W characters, row by row) of test example
    /// <paramref name="index"/> and lets the model fill them in: a strip [what the model saw, hidden in blue | its fill-in].
    /// </summary>
    public Decoded Inpaint(int? index, string? mask)
    {
        var inpainting = _inpainting ?? throw Absent("paint");
        if (index is not int example) throw new UserInputException("the request names no example; send {\"example\": 0, \"mask\": \"0011...\"}");
        CheckExample(example, "example");
        var shape = Manifest.Shape;
        int pixels = shape.Height * shape.Width;
        if (mask is null || mask.Length != pixels)
            throw new UserInputException($"the mask has {mask?.Length ?? 0} pixels but the images are {shape.Height}×{shape.Width}; send {pixels} characters 0 or 1, row by row");
        if (mask.Any(c => c is not ('0' or '1'))) throw new UserInputException("the mask may hold only the characters 0 (shown) and 1 (hidden)");
        if (!mask.Contains('1')) throw new UserInputException("the mask hides nothing; paint over part of the image first");
        var hidden = mask.Select(c => c == '1').ToArray();
        return Image(() =>
        {
            var x = Test.Features.narrow(0, example, 1);
            var missing = tensor(hidden).reshape(1, 1, shape.Height, shape.Width).expand(1, shape.Channels, shape.Height, shape.Width).clone();
            var result = inpainting.Inpaint(x, missing);
            // [1, C, H, W] -> RGB [1, 3, H, W], the hidden pixels (whole patches for a MAE) in blue
            var rgb = x.expand(1, 3, shape.Height, shape.Width);
            var tint = tensor(new[] { 0.25f, 0.45f, 0.85f }).reshape(1, 3, 1, 1).expand_as(rgb);
            var seen = where(result.Hidden.any(1, keepdim: true).expand(1, 3, shape.Height, shape.Width), tint, shape.Channels == 3 ? x : rgb);
            var filled = result.Filled.expand(1, 3, shape.Height, shape.Width);
            return cat([seen, filled], 0);
        }, strip: true);
    }

    // ---- anomalies ----------------------------------------------------------------------------

    /// <summary>The score columns of scores.csv, or null without scores.</summary>
    public IReadOnlyList<string>? ScoreColumns => _scores?.Columns;

    /// <summary>The <paramref name="count"/> worst-scored test examples by <paramref name="column"/>.</summary>
    public IReadOnlyList<ScoredExample> Anomalies(int? count, string? column)
    {
        var scores = _scores ?? throw Absent("anomalies");
        int shown = count ?? 16;
        if (shown is < 1 or > MaxAnomalies) throw new UserInputException($"count {shown} is out of range; ask for 1 to {MaxAnomalies} examples");
        return scores.Worst(shown, column);
    }

    /// <summary>The label name of test example <paramref name="index"/>, or null without labels.</summary>
    public string? LabelOf(int index)
    {
        if (Test.Labels is null) return null;
        int label = Test.Labels[index];
        return Test.LabelNames is { } names && label < names.Count ? names[label] : label.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>Runs a decode through the gate in its own scope and returns it as a PNG (one image, or a strip of all).</summary>
    Decoded Image(Func<Tensor> decode, bool strip = false)
    {
        var (png, milliseconds) = _gate.Run(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var images = decode();
            return strip ? PngImages.Strip(images) : PngImages.Single(images);
        });
        return new Decoded(png, milliseconds);
    }

    void CheckExample(int index, string what)
    {
        if (index < 0 || index >= Test.Count)
            throw new UserInputException($"{what} {index} is not a test example; pick one from 0 to {Test.Count - 1}");
    }

    UserInputException Absent(string panel) =>
        new($"run {Id} ({Name}) has no {panel} panel: {_absent.GetValueOrDefault(panel, "it does not apply")}");

    /// <summary>Counts [L][K] of each code of each head over the test split.</summary>
    static long[][] CountCodes(DiscreteCodesView view, Dataset test)
    {
        var counts = Enumerable.Range(0, view.Heads).Select(_ => new long[view.CodebookSize]).ToArray();
        foreach (var batch in test.Take(LatentSummary.MaxExamples).Batches(500))
        {
            using var scope = NewDisposeScope();
            var codes = view.Codes(batch).data<long>().ToArray();  // [B, P, L] flattened: head = position in the last axis
            for (int i = 0; i < codes.Length; i++) counts[i % view.Heads][codes[i]]++;
        }
        return counts;
    }

    public void Dispose()
    {
        _sampler?.Dispose();
        _model.Dispose();
    }
}
