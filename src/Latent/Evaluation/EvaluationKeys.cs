namespace Latent.Evaluation;

/// <summary>What each <c>eval.json</c> key means (SPEC §4), for reports and help.</summary>
public static class EvaluationKeys
{
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        ["test_mse"] = "mean squared error per element between test examples and their reconstructions ([0, 1] scale for images)",
        ["test_psnr_db"] = "peak signal-to-noise ratio of the reconstructions, 10·log10(1 / test_mse)",
        ["test_neg_elbo_nats"] = "negative evidence lower bound per test example, in nats (an upper bound on −log p(x))",
        ["test_kl_nats"] = "KL(q(z|x) ‖ N(0, I)) per test example, in nats",
        ["iwae_nll_nats"] = "importance-weighted estimate of −log p(x) per test example, in nats (tighter than the ELBO)",
        ["iwae_samples"] = "importance samples per example behind iwae_nll_nats",
        ["active_units"] = "latent dimensions whose posterior mean varies across the data (Cov > 0.01)",
        ["codebook_usage"] = "fraction of codebook entries used on the test set",
        ["codebook_perplexity"] = "exp of the entropy of code usage on the test set (the effective number of codes)",
        ["bits_per_example"] = "bits to store one example's discrete codes",
        ["prior_bits_per_example"] = "−log2 p(codes) under the fitted prior: the size an entropy coder driven by it would reach",
        ["pca_components_same_bits"] = "PCA components that fit into bits_per_example as float16 coordinates",
        ["pca_mse_same_bits"] = "test reconstruction error of that PCA, fitted on the training split: the linear baseline at the same rate",
        ["linear_probe_accuracy"] = "test accuracy of a linear classifier trained on frozen representations of the training split",
        ["knn_accuracy"] = "test accuracy of k-nearest-neighbour classification in representation space",
        ["pca_optimum_mse"] = "test reconstruction error of PCA with as many components as the latent dimension (the Eckart–Young optimum for linear codes)",
        ["principal_angle_max_deg"] = "largest principal angle between the decoder's column space and the top-K PCA subspace, in degrees",
    };

    public static string Describe(string key) =>
        Descriptions.GetValueOrDefault(key) ?? Disentanglement.DisentanglementEvaluation.Keys.GetValueOrDefault(key)
        ?? SampleQuality.SampleQualityEvaluation.Keys.GetValueOrDefault(key, "");
}
