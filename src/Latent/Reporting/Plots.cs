using ScottPlot;

namespace Latent.Reporting;

/// <summary>The charts of runs and reports, drawn with ScottPlot and saved as PNG (written atomically).</summary>
internal static class Plots
{
    public const int Width = 640, Height = 400;

    /// <summary>One or more named series of (x, y) points joined by lines; the legend in the upper right unless <paramref name="legendLowerRight"/>.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel,
                             IEnumerable<(string Label, double[] X, double[] Y)> series, bool logY = false, bool legendLowerRight = false)
    {
        var plot = New(title, xLabel, yLabel);
        foreach (var (label, x, y) in series)
        {
            var line = plot.Add.Scatter(x, logY ? y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : y);
            line.LegendText = label;
            line.MarkerSize = x.Length > 40 ? 0 : 4;
        }
        if (logY)
        {
            // y is plotted as log10(y); ticks are labelled with the values themselves.
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        plot.ShowLegend(legendLowerRight ? Alignment.LowerRight : Alignment.UpperRight);
        Save(plot, path);
    }

    /// <summary>Bars at 0, 1, 2, … (or at <paramref name="positions"/>).</summary>
    public static void Bars(string path, string title, string xLabel, string yLabel, double[] values, double[]? positions = null)
    {
        var plot = New(title, xLabel, yLabel);
        var bars = plot.Add.Bars(positions ?? Enumerable.Range(0, values.Length).Select(i => (double)i).ToArray(), values);
        foreach (var bar in bars.Bars) bar.LineWidth = 0;
        plot.Axes.Margins(bottom: 0);
        Save(plot, path);
    }

    /// <summary>Points coloured by label (one legend entry per class), or in one colour without labels.</summary>
    public static void Scatter(string path, string title, string xLabel, string yLabel, double[] x, double[] y,
                               int[]? labels = null, IReadOnlyList<string>? labelNames = null)
    {
        var plot = New(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        var groups = labels is null ? [(-1, Enumerable.Range(0, x.Length).ToArray())]
            : labels.Select((label, i) => (label, i)).GroupBy(p => p.label).OrderBy(g => g.Key).Select(g => (g.Key, g.Select(p => p.i).ToArray())).ToArray();
        foreach (var (label, members) in groups)
        {
            var points = plot.Add.ScatterPoints(members.Select(i => x[i]).ToArray(), members.Select(i => y[i]).ToArray());
            points.MarkerSize = x.Length > 2000 ? 2 : 4;
            points.Color = palette.GetColor(Math.Max(0, label)).WithAlpha(0.7);
            if (label >= 0) points.LegendText = labelNames is not null && label < labelNames.Count ? labelNames[label] : label.ToString();
        }
        if (labels is not null) plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path);
    }

    /// <summary>
    /// A matrix as coloured cells (row 0 at the top), each labelled with its value, with a colour bar
    /// over [0, <paramref name="maximum"/>]; one tick label per row and per column.
    /// </summary>
    public static void Heatmap(string path, string title, string xLabel, string yLabel, double[,] values,
                               IReadOnlyList<string> columnLabels, IReadOnlyList<string> rowLabels, double maximum = 1)
    {
        var plot = New(title, xLabel, yLabel);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, maximum);
        plot.Add.ColorBar(heatmap);
        for (int row = 0; row < rows && rows * columns <= 400; row++)
            for (int column = 0; column < columns; column++)
            {
                var label = plot.Add.Text(values[row, column].ToString("F2", System.Globalization.CultureInfo.InvariantCulture), column, rows - 1 - row);
                label.LabelFontSize = rows > 16 ? 8 : 11;
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = values[row, column] > 0.6 * maximum ? Colors.Black : Colors.White;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(i => (double)i).ToArray(), columnLabels.ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(i => (double)(rows - 1 - i)).ToArray(), rowLabels.ToArray());
        Save(plot, path);
    }

    static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Fonts.Detect("DejaVu Sans"));
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    static void Save(Plot plot, string path)
    {
        var bytes = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }
}
