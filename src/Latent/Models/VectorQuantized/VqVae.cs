// The VQ-VAE: van den Oord, Vinyals & Kavukcuoglu 2017, "Neural Discrete Representation Learning".
//   z_e = φ(x) at every latent position; z_q = the nearest code of each head (VectorQuantizer);
//   x̂ = ψ(z_e + sg(z_q − z_e));
//   L = ‖x − x̂‖² + ‖z_q − sg(z_e)‖² + β‖z_e − sg(z_q)‖²   (eq. 3; the middle term is replaced by EMA
//   updates of the codes when --ema is on, Razavi et al. 2019), every term a mean per element.
// After training, a prior over codes (CodePrior) is fitted on the training split's codes, for sampling.

using Latent.Data;
using Latent.Evaluation;
using Latent.Models.Pca;
using Latent.Nn;
using Latent.Training;
using static TorchSharp.torch;

namespace Latent.Models.VectorQuantized;

/// <summary>
/// A VQ-VAE with an MLP (a vector of <see cref="VqOptions.Slots"/> latent positions) or conv
/// encoder (a grid of positions). <see cref="Encode"/> returns the quantised continuous
/// representation z_q, flattened position-major ([B, P·latentDim], channels last), for probes,
/// CSV and interpolation; the discrete codes come from <see cref="Codes"/> and go back through
/// <see cref="DecodeCodes"/>.
/// </summary>
public sealed class VqVae : Autoencoder, IGenerative, ISecondStage
{
    private readonly nn.Module<Tensor, Tensor> encoder;
    private readonly VectorQuantizer quantizer;
    private readonly nn.Module<Tensor, Tensor> decoder;
    private readonly CodePrior prior;

    private readonly VqOptions _options;
    private readonly int[] _grid;
    private readonly ConvPadding? _padding;

    public VqVae(VqOptions options, DataShape shape) : base("vqvae", options, shape)
    {
        _options = options;
        _grid = options.Grid(shape);
        int positions = options.Positions(shape);
        if (options.Arch == Architecture.Conv)
        {
            encoder = VqNetworks.ConvEncoder(shape, options.Channels, options.LatentDim);
            decoder = VqNetworks.ConvDecoder(options.LatentDim, options.Channels, shape);
            _padding = new ConvPadding(shape.Height, shape.Width, options.Channels.Length);
        }
        else
        {
            encoder = VqNetworks.VariancePreserving(new MlpEncoder(shape.Size, options.Hidden, positions * options.LatentDim));
            decoder = VqNetworks.VariancePreserving(new MlpDecoder(positions * options.LatentDim, options.Hidden, shape.Dimensions));
        }
        quantizer = new VectorQuantizer(options.LatentDim, options.Heads, options.CodebookSize, options.CodeDimension, options.CodebookTraining);
        prior = new CodePrior(positions, options.Heads, options.CodebookSize, options.PriorWidth, options.PriorLayers,
                              autoregressive: options.PriorEpochs > 0);
        RegisterComponents();
    }

    /// <summary>The latent grid: [h, w] for conv, [slots] for mlp.</summary>
    public IReadOnlyList<int> Grid => _grid;

    /// <summary>P, latent positions per example.</summary>
    public int Positions => prior.Positions;

    /// <summary>L, codes per position.</summary>
    public int Heads => _options.Heads;

    /// <summary>K, codes per codebook.</summary>
    public int CodebookSize => _options.CodebookSize;

    /// <summary>Bits that store one example's codes: P · L · ⌈log2 K⌉.</summary>
    public long BitsPerExample => (long)Positions * Heads * _options.BitsPerCode;

    /// <summary>The quantiser (its codebooks), for inspection.</summary>
    public VectorQuantizer Quantizer => quantizer;

    /// <summary>The prior over codes.</summary>
    public CodePrior Prior => prior;

    public override int RepresentationSize => Positions * Options.LatentDim;

    /// <summary>x → z_q [B, P·latentDim]: the quantised representation, flattened position-major, channels last.</summary>
    public override Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        var ze = Continuous(x);
        var zq = quantizer.Quantize(ze.reshape(-1, Options.LatentDim), learn: false).Output;
        return zq.reshape(x.shape[0], RepresentationSize).MoveToOuterDisposeScope();
    }

    /// <summary>z [B, P·latentDim] (as <see cref="Encode"/> returns it) → x̂; z is decoded as it is, not re-quantised.</summary>
    public override Tensor Decode(Tensor z) => DecodePositions(z.reshape(z.shape[0], Positions, Options.LatentDim));

    /// <summary>x → the code of every position and head [B, P, L] (int64, in [0, K)).</summary>
    public Tensor Codes(Tensor x)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ze = Continuous(x);
        return quantizer.Codes(ze.reshape(-1, Options.LatentDim)).reshape(x.shape[0], Positions, Heads).MoveToOuterDisposeScope();
    }

    /// <summary>Codes [B, P, L] → x̂ [B, ...shape].</summary>
    public Tensor DecodeCodes(Tensor codes)
    {
        using var scope = NewDisposeScope();
        long batch = codes.shape[0];
        var zq = quantizer.Embed(codes.reshape(batch * Positions, Heads)).reshape(batch, Positions, Options.LatentDim);
        return DecodePositions(zq).MoveToOuterDisposeScope();
    }

    public override LossTerms Loss(Tensor x, TrainingStep step)
    {
        // Codebooks learn (k-means init, EMA, usage, restarts) on training steps only, never in validation.
        bool learn = training && !step.Validating;
        var ze = Continuous(x);                                                    // [B, P, C]
        var quantized = quantizer.Quantize(ze.reshape(-1, Options.LatentDim), learn);
        var reconstruction = DecodePositions(quantized.Output.reshape(ze.shape));
        var recon = nn.functional.mse_loss(reconstruction, x);
        var commitment = quantized.CommitmentLoss * _options.Commitment;
        if (_options.Ema)
            return new LossTerms(recon + commitment, ("recon", recon), ("commitment", commitment));
        return new LossTerms(recon + quantized.CodebookLoss + commitment,
            ("recon", recon), ("codebook", quantized.CodebookLoss), ("commitment", commitment));
    }

    public override Diagnosis Diagnose(Dataset validation)
    {
        if (validation.Count == 0) return Diagnosis.None;
        var health = CodebookHealth.Measure(CodeCounts(validation));
        var figures = new Dictionary<string, double>
        {
            ["codebook_usage"] = health.Usage,
            ["codebook_perplexity"] = health.Perplexity,
            ["dead_codes"] = health.DeadCodes,
        };
        var warnings = new List<string>();
        if (health.Usage < 0.5)
        {
            var fix = _options.RestartAfter == 0 ? "pass --restart-after 20 to re-seed unused codes" : "pass a smaller --codebook-size or a lower --restart-after";
            warnings.Add($"only {health.Usage:P0} of the codes are used on the validation set ({health.DeadCodes} dead, perplexity {health.Perplexity:F1}); {fix}");
        }
        return new Diagnosis(figures, warnings);
    }

    public override IReadOnlyDictionary<string, double> Evaluate(Dataset test, EvaluationOptions options)
    {
        using var codes = CodesOf(test, options.BatchSize);
        var health = CodebookHealth.Measure(CountCodes(codes));
        var figures = new Dictionary<string, double>
        {
            ["codebook_usage"] = health.Usage,
            ["codebook_perplexity"] = health.Perplexity,
            ["bits_per_example"] = BitsPerExample,
        };
        if (prior.IsFitted) figures["prior_bits_per_example"] = prior.BitsPerExample(codes);
        foreach (var (key, value) in PcaAtTheSameSize(test, options)) figures[key] = value;
        return figures;
    }

    /// <summary>Bits of one float16 coordinate: how a continuous code is stored for the comparison below.</summary>
    public const int ContinuousCoordinateBits = 16;

    /// <summary>
    /// The linear baseline at the same rate: PCA fitted on the training split with as many components
    /// as float16 coordinates fit into <see cref="BitsPerExample"/>, and its test MSE (rounding its
    /// codes to float16 changes that MSE only in the 7th digit). Empty without a training split.
    /// </summary>
    IReadOnlyDictionary<string, double> PcaAtTheSameSize(Dataset test, EvaluationOptions options)
    {
        var figures = new Dictionary<string, double>();
        if (options.TrainingSplit is null) return figures;
        var train = options.TrainingSplit.Value;
        int components = (int)Math.Min(BitsPerExample / ContinuousCoordinateBits, Math.Min(train.Count, train.Shape.Size));
        if (components < 1) return figures;
        using var pca = PcaModel.Fitted(train, components);
        figures["pca_components_same_bits"] = components;
        figures["pca_mse_same_bits"] = Evaluator.ReconstructionError(pca, test, options.BatchSize);
        return figures;
    }

    /// <summary>Whether the prior over codes has been fitted (training fits it once the VQ-VAE itself is trained).</summary>
    public bool CanSample => prior.IsFitted;

    /// <summary>New examples: code grids from the prior (the transformer once fitted), decoded.</summary>
    public Tensor Sample(int count)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return DecodeCodes(prior.Sample(count)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Fits the prior on the codes of the training split (the second stage of a VQ-VAE). A prior
    /// already fitted is kept: the trainer saves the model with an unfitted prior whenever the
    /// VQ-VAE itself changes, so a fitted one belongs to these weights.
    /// </summary>
    public void FitSecondStage(DataSplits data, int seed, ITrainingObserver observer)
    {
        if (prior.IsFittedFor(_options.PriorEpochs)) return;
        eval();
        using var train = CodesOf(data.Train);
        using var validation = CodesOf(data.Validation);
        prior.Fit(train, validation, _options.PriorEpochs, seed, observer);
    }

    /// <summary>Codes [N, P, L] of every example of <paramref name="data"/>.</summary>
    public Tensor CodesOf(Dataset data, int batchSize = 500)
    {
        if (data.Count == 0) return zeros(0, Positions, Heads, ScalarType.Int64);
        var parts = data.Batches(batchSize).Select(Codes).ToArray();
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }

    /// <summary>How often each code of each head is chosen on <paramref name="data"/>: [L, K] counts.</summary>
    public long[][] CodeCounts(Dataset data, int batchSize = 500)
    {
        using var codes = CodesOf(data, batchSize);
        return CountCodes(codes);
    }

    /// <summary>Codes [N, P, L] → how often each code of each head occurs: [L, K] counts.</summary>
    public long[][] CountCodes(Tensor codes)
    {
        using var scope = NewDisposeScope();
        // head h's codes are counted at h·K + c
        var offsets = arange(Heads, ScalarType.Int64, codes.device).mul_(CodebookSize);
        var flat = (codes + offsets).reshape(-1).bincount(null, (long)Heads * CodebookSize).cpu().data<long>().ToArray();
        return Enumerable.Range(0, Heads).Select(head => flat.AsSpan(head * CodebookSize, CodebookSize).ToArray()).ToArray();
    }

    /// <summary>x → z_e [B, P, latentDim].</summary>
    Tensor Continuous(Tensor x)
    {
        var features = encoder.forward(_padding?.Pad(x) ?? x);
        return _options.Arch == Architecture.Conv
            ? features.permute(0, 2, 3, 1).reshape(x.shape[0], Positions, Options.LatentDim) // [B, C, h, w] -> [B, h, w, C] -> [B, h·w, C]
            : features.reshape(x.shape[0], Positions, Options.LatentDim);                    // [B, P·C] -> [B, P, C]
    }

    /// <summary>z_q [B, P, latentDim] → x̂ in data units.</summary>
    Tensor DecodePositions(Tensor zq)
    {
        long batch = zq.shape[0];
        var input = _options.Arch == Architecture.Conv
            ? zq.reshape(batch, _grid[0], _grid[1], Options.LatentDim).permute(0, 3, 1, 2) // [B, h·w, C] -> [B, C, h, w]
            : zq.reshape(batch, Positions * Options.LatentDim);                             // [B, P, C] -> [B, P·C]
        var output = decoder.forward(input);
        if (_padding is not null) output = _padding.Crop(output);
        return Shape.IsUnitRange ? output.sigmoid() : output;
    }
}

/// <summary>Codebook health from code counts [L, K]: the fraction of codes used, the perplexity and the dead codes.</summary>
/// <param name="Usage">Fraction of the L·K codes chosen at least once.</param>
/// <param name="Perplexity">exp(entropy) of the code frequencies, averaged over heads: K when every code is equally used, 1 when one code is.</param>
/// <param name="DeadCodes">Codes never chosen, over all heads.</param>
public sealed record CodebookHealth(double Usage, double Perplexity, long DeadCodes)
{
    public static CodebookHealth Measure(long[][] counts)
    {
        long used = counts.Sum(head => head.LongCount(count => count > 0));
        long all = counts.Sum(head => (long)head.Length);
        double perplexity = counts.Average(head =>
        {
            double total = head.Sum();
            if (total == 0) return 0;
            double entropy = head.Where(count => count > 0).Sum(count => -count / total * Math.Log(count / total));
            return Math.Exp(entropy);
        });
        return new CodebookHealth((double)used / all, perplexity, all - used);
    }
}
