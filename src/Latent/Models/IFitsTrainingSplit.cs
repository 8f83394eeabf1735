using Latent.Data;

namespace Latent.Models;

/// <summary>
/// A model with statistics of its training data among its weights (e.g. the column means and spreads of
/// a table, <see cref="Nn.ColumnStandardizer"/>). The trainer calls <see cref="FitTrainingSplit"/> once,
/// before the first step of a fresh run (a resumed run reads them from its checkpoint).
/// </summary>
public interface IFitsTrainingSplit
{
    /// <summary>Sets the statistics from the whole training split (never the validation or test split).</summary>
    void FitTrainingSplit(Dataset train);
}
