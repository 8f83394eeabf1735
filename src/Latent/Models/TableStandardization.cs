using Latent.Data;
using Latent.Nn;

namespace Latent.Models;

/// <summary>Whether a family standardises table columns (<c>--standardize</c>).</summary>
public enum Standardization
{
    /// <summary>Each column as (x − μ)/σ with the training split's statistics, stored with the weights and undone on decode.</summary>
    Yes,
    /// <summary>Columns as the data source delivers them.</summary>
    No,
}

/// <summary>The standardiser a family builds for its data: one for table rows unless <see cref="ModelOptions.Standardize"/> is <c>No</c>; none for images and tokens.</summary>
public static class TableStandardization
{
    /// <summary>A <see cref="ColumnStandardizer"/> for table rows with standardisation on, else null.</summary>
    public static ColumnStandardizer? For(ModelOptions options, DataShape shape) =>
        shape.Kind == DataKind.Table && options.Standardize == Standardization.Yes ? new ColumnStandardizer(shape.Width) : null;
}
