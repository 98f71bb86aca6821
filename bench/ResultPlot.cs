using System.Globalization;
using System.Security;
using System.Text;

namespace CharWeb.Bench;

/// <summary>
/// A hand-written SVG with two panels: per-console throughput against the number of consoles (log x),
/// socket and pty chardevs as two lines, and keystroke latency percentiles of CharWeb beside the raw
/// TCP echo baseline.
/// </summary>
public static class ResultPlot
{
    private const int PanelWidth = 420;
    private const int PanelHeight = 300;
    private const int Margin = 50;

    public static string Render(PlotSeries series, string title)
    {
        var svg = new StringBuilder();
        var width = (2 * PanelWidth) + (3 * Margin);
        var height = PanelHeight + (3 * Margin);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Margin}\" y=\"24\" font-size=\"15\">{SecurityElement.Escape(title)}</text>");
        Fanout(svg, series.Fanout, series.PtyFanout, Margin, 2 * Margin);
        Latency(svg, series.Latency, (2 * Margin) + PanelWidth, 2 * Margin);
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Frame(StringBuilder svg, int x, int y, string title, string yLabel, double yMax)
    {
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y - 10}\" font-weight=\"bold\">{title}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x}\" y2=\"{y + PanelHeight}\" stroke=\"black\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{y + PanelHeight}\" x2=\"{x + PanelWidth}\" y2=\"{y + PanelHeight}\" stroke=\"black\"/>");
        for (var i = 0; i <= 4; i++)
        {
            var ty = y + PanelHeight - (i * PanelHeight / 4.0);
            svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{ty:0.#}\" x2=\"{x + PanelWidth}\" y2=\"{ty:0.#}\" stroke=\"#ddd\"/>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x - 4}\" y=\"{ty + 4:0.#}\" text-anchor=\"end\">{yMax * i / 4:0.##}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x - 40}\" y=\"{y + (PanelHeight / 2)}\" transform=\"rotate(-90 {x - 40} {y + (PanelHeight / 2)})\" text-anchor=\"middle\">{yLabel}</text>");
    }

    private static void Fanout(StringBuilder svg, List<(int Consoles, double MegabytesPerSecond)> socket, List<(int Consoles, double MegabytesPerSecond)> pty, int x, int y)
    {
        var all = socket.Concat(pty).ToList();
        var yMax = Math.Max(1e-9, all.Count == 0 ? 1 : all.Max(p => p.MegabytesPerSecond)) * 1.1;
        Frame(svg, x, y, "throughput per console against consoles", "MB/s per console", yMax);
        if (all.Count == 0)
        {
            return;
        }

        var xMax = Math.Max(1, Math.Log10(all.Max(p => p.Consoles)));
        double Px(int consoles) => x + 20 + ((PanelWidth - 40) * Math.Log10(consoles) / xMax);
        double Py(double value) => y + PanelHeight - (PanelHeight * value / yMax);
        var legend = 0;
        foreach (var (points, name, colour) in new[] { (socket, "socket chardev", "#1f77b4"), (pty, "pty chardev", "#2ca02c") })
        {
            if (points.Count == 0)
            {
                continue;
            }

            var line = string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.Consoles):0.#},{Py(p.MegabytesPerSecond):0.#}")));
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline points=\"{line}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            foreach (var (consoles, mbps) in points)
            {
                svg.AppendLine(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(consoles):0.#}\" cy=\"{Py(mbps):0.#}\" r=\"4\" fill=\"{colour}\"/>");
                svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Px(consoles):0.#}\" y=\"{Py(mbps) - 8:0.#}\" text-anchor=\"middle\" fill=\"{colour}\">{mbps:0.#}</text>");
            }

            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{x + PanelWidth - 130}\" y=\"{y - 40 + (15 * legend)}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{x + PanelWidth - 115}\" y=\"{y - 31 + (15 * legend)}\">{name}</text>");
            legend++;
        }

        foreach (var consoles in all.Select(p => p.Consoles).Distinct())
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Px(consoles):0.#}\" y=\"{y + PanelHeight + 16}\" text-anchor=\"middle\">{consoles}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{x + (PanelWidth / 2)}\" y=\"{y + PanelHeight + 34}\" text-anchor=\"middle\">consoles (log scale)</text>");
    }

    private static void Latency(StringBuilder svg, List<(string Percentile, double CharWebMs, double BaselineMs)> bars, int x, int y)
    {
        var yMax = Math.Max(1e-9, bars.Count == 0 ? 1 : bars.Max(b => Math.Max(b.CharWebMs, b.BaselineMs))) * 1.1;
        Frame(svg, x, y, "keystroke echo latency", "ms", yMax);
        var slot = (PanelWidth - 20.0) / Math.Max(1, bars.Count);
        for (var i = 0; i < bars.Count; i++)
        {
            var (name, charweb, baseline) = bars[i];
            var left = x + 10 + (i * slot);
            var barWidth = slot * 0.35;
            Bar(svg, left + (slot * 0.1), barWidth, charweb, yMax, y, "#1f77b4");
            Bar(svg, left + (slot * 0.1) + barWidth, barWidth, baseline, yMax, y, "#ff7f0e");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + (slot * 0.45):0.#}\" y=\"{y + PanelHeight + 16}\" text-anchor=\"middle\">{name}</text>");
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{x + PanelWidth - 150}\" y=\"{y - 40}\" width=\"10\" height=\"10\" fill=\"#1f77b4\"/><text x=\"{x + PanelWidth - 135}\" y=\"{y - 31}\">CharWeb (hub → echo → console)</text>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{x + PanelWidth - 150}\" y=\"{y - 25}\" width=\"10\" height=\"10\" fill=\"#ff7f0e\"/><text x=\"{x + PanelWidth - 135}\" y=\"{y - 16}\">raw TCP echo</text>");
    }

    private static void Bar(StringBuilder svg, double left, double width, double value, double yMax, int y, string colour)
    {
        var h = PanelHeight * value / yMax;
        svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{left:0.#}\" y=\"{y + PanelHeight - h:0.#}\" width=\"{width:0.#}\" height=\"{h:0.#}\" fill=\"{colour}\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left + (width / 2):0.#}\" y=\"{y + PanelHeight - h - 4:0.#}\" text-anchor=\"middle\" font-size=\"10\">{value:0.###}</text>");
    }
}
