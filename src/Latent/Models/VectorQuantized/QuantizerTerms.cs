// The loss terms that quantizers add to a VQ-VAE's reconstruction loss, declared once with their meaning.

namespace Latent.Models.VectorQuantized;

/// <summary>Every loss term an <see cref="IQuantizer"/> may name.</summary>
public static class QuantizerTerms
{
    /// <summary>Learned codebooks without EMA (vq, rvq).</summary>
    public static readonly MetricKey Codebook = MetricKey.Term("codebook",
        "codebook loss ‖z_q − sg(z_e)‖², mean per element (only without --ema; summed over stages for rvq)");

    /// <summary>vq, rvq and lfq.</summary>
    public static readonly MetricKey Commitment = MetricKey.Term("commitment",
        "commitment loss β‖z_e − sg(z_q)‖², mean per element, β included (summed over stages for rvq)");

    /// <summary>lfq: per-sample entropy, pushed down.</summary>
    public static readonly MetricKey SampleEntropy = MetricKey.Term("sample_entropy",
        "lfq: mean entropy of each vector's soft code assignment in nats, times --sample-entropy-weight (minimised: confident codes)");

    /// <summary>lfq: batch entropy, pushed up (the term is its negative).</summary>
    public static readonly MetricKey BatchEntropy = MetricKey.Term("batch_entropy",
        "lfq: minus the entropy of the batch's average code assignment in nats over the whole codebook, times --batch-entropy-weight (minimised: all codes used)");
}
