using Latent.Families;
using Latent.Data;

namespace Latent.Models;

/// <summary>
/// A model fitted in closed form on the training split (PCA) instead of being trained by gradient
/// descent. Its family is marked <see cref="ModelFamily.ClosedForm"/>; <c>latent train</c> refuses
/// it and <c>Workflows.FitRun</c> fits it.
/// </summary>
public interface IClosedForm
{
    /// <summary>
    /// Fits the model's buffers to <paramref name="train"/>; throws a <see cref="UserInputException"/>
    /// when the data cannot support the options (e.g. more components than rows). Returns the
    /// figures worth reporting about the fit and warnings (e.g. zero-variance components).
    /// </summary>
    Diagnosis Fit(Dataset train);

    /// <summary>Draws the family's own figures of a fitted model into <paramref name="directory"/>; returns the files written.</summary>
    IReadOnlyList<string> SaveFigures(string directory);
}
