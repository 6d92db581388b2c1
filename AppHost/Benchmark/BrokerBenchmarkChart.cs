using System.Globalization;
using System.Text;
using ScottPlot;
using SkiaSharp;

namespace AirflowAspire.AppHost.Benchmark;

/// <summary>
/// The benchmark's chart, made with ScottPlot: the latency distribution (p50, p95, p99, max) and the throughput
/// (at the fixed concurrency and at saturation) side by side, one bar per broker in each group, written as SVG.
/// </summary>
public static class BrokerBenchmarkChart
{
    /// <summary>Width of the chart in pixels (SVG user units).</summary>
    public const int Width = 1200;

    /// <summary>Height of the chart in pixels (SVG user units).</summary>
    public const int Height = 500;

    /// <summary>Writes the chart of <paramref name="report"/> as an SVG file at <paramref name="path"/>.</summary>
    public static void Save(BrokerBenchmarkReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, ToSvg(report));
    }

    /// <summary>The chart of <paramref name="report"/> as an SVG document.</summary>
    public static string ToSvg(BrokerBenchmarkReport report)
    {
        var brokers = report.Brokers;
        var latency = new Plot();
        Bars(latency, brokers, ["p50", "p95", "p99", "max"], b => [b.LatencyMs.P50, b.LatencyMs.P95, b.LatencyMs.P99, b.LatencyMs.Max], "0.0");
        latency.Title($"Latency with {report.Workload.Concurrency} tasks in flight");
        latency.YLabel("ms, publish to result stored");

        var throughput = new Plot();
        Bars(throughput, brokers, [$"{report.Workload.Concurrency} in flight", $"saturation ({report.Workload.SaturationConcurrency} in flight)"],
            b => [b.TasksPerSecondAtConcurrency, b.TasksPerSecond], "0");
        throughput.Title("Throughput");
        throughput.YLabel("tasks per second");

        var multiplot = new Multiplot();
        // A new Multiplot holds one empty plot: the latency plot takes its place.
        multiplot.Reset(latency);
        multiplot.AddPlot(throughput);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        // Multiplot renders to any Skia canvas; Skia's SVG canvas writes the document when it is disposed.
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), stream))
        {
            multiplot.Render(canvas, new PixelRect(0, Width, Height, 0));
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Grouped bars: one group per figure, one bar per broker (its colour in the legend), each labelled with its value.</summary>
    private static void Bars(Plot plot, IReadOnlyList<BrokerResult> brokers, string[] groups, Func<BrokerResult, double[]> figures, string format)
    {
        var palette = new ScottPlot.Palettes.Category10();
        // Each group spans one unit on the x axis; its bars share 80% of it, the rest is the gap between groups.
        var barWidth = 0.8 / brokers.Count;
        for (var b = 0; b < brokers.Count; b++)
        {
            var values = figures(brokers[b]);
            var color = palette.GetColor(b);
            var bars = values.Select((value, g) => new Bar
            {
                Position = g - 0.4 + barWidth * (b + 0.5),
                Value = value,
                Size = barWidth * 0.95,
                FillColor = color,
                Label = value.ToString(format, CultureInfo.InvariantCulture),
            }).ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = $"{brokers[b].Broker} ({brokers[b].Version})";
        }
        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, groups.Length).Select(g => (double)g)], groups);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.HideGrid();
        // Bars start at zero, with room above the tallest for its label.
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
