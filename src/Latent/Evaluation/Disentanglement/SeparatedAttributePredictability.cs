// The separated attribute predictability score: Kumar, Sattigeri & Balakrishnan 2018, "Variational
// Inference of Disentangled Latent Concepts from Unlabeled Observations", §3, for discrete factors
// as disentanglement_lib computes it (evaluation/metrics/sap_score.py, continuous_factors=False):
//
//   S_jk = held-out accuracy of a linear SVM (LinearSvm: C = 0.01, balanced classes) that predicts
//          factor k from code dimension j alone, fitted on the training examples;
//   SAP  = (1/K) Σ_k (largest S_jk over j − second largest S_jk over j).
//
// A code where each factor is predictable from one dimension only scores high; a code where a factor
// is predictable from several dimensions (or from none) scores near 0.

namespace Latent.Evaluation.Disentanglement;

/// <summary>SAP and the score matrix it comes from.</summary>
/// <param name="Score">SAP, the mean over factors of the gap between the two best dimensions.</param>
/// <param name="Accuracy">S, held-out accuracy [code dimension][factor].</param>
public sealed record SapResult(double Score, double[][] Accuracy);

/// <summary>SAP (Kumar et al. 2018) for discrete factors, as disentanglement_lib computes it.</summary>
public static class SeparatedAttributePredictability
{
    /// <summary>SAP of codes [dimension][example] and factor classes [factor][example], fitting on the first set, testing on the second.</summary>
    public static SapResult Compute(IReadOnlyList<float[]> trainCodes, IReadOnlyList<int[]> trainFactors,
                                    IReadOnlyList<float[]> testCodes, IReadOnlyList<int[]> testFactors)
    {
        if (trainCodes.Count < 2) throw new ArgumentException("SAP compares the two most predictive code dimensions; it needs at least two", nameof(trainCodes));
        var accuracy = new double[trainCodes.Count][];
        Parallel.For(0, trainCodes.Count, j =>
        {
            accuracy[j] = new double[trainFactors.Count];
            for (int k = 0; k < trainFactors.Count; k++)
            {
                var predicted = LinearSvm.Fit(trainCodes[j], trainFactors[k]).Predict(testCodes[j]);
                accuracy[j][k] = predicted.Zip(testFactors[k]).Count(pair => pair.First == pair.Second) / (double)predicted.Length;
            }
        });
        double score = Enumerable.Range(0, trainFactors.Count).Average(k =>
        {
            var sorted = accuracy.Select(row => row[k]).OrderDescending().ToArray();
            return sorted[0] - sorted[1];
        });
        return new SapResult(score, accuracy);
    }
}
