using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CharWeb.Bench;

/// <summary>
/// One line of the table. <paramref name="Ratio"/> is value ÷ baseline; <paramref name="Met"/> is null
/// where the goal has no pass mark in this run.
/// </summary>
public sealed record ResultRow(string Scenario, string Figure, double Value, string Unit, double? Baseline, string BaselineName, string Goal, bool? Met)
{
    public double? Ratio => Baseline is > 0 ? Value / Baseline : null;
}

/// <summary>Points for the plot: throughput against consoles (socket and pty chardevs), and latency percentiles.</summary>
public sealed class PlotSeries
{
    public List<(int Consoles, double MegabytesPerSecond)> Fanout { get; } = [];

    public List<(int Consoles, double MegabytesPerSecond)> PtyFanout { get; } = [];

    public List<(string Percentile, double CharWebMs, double BaselineMs)> Latency { get; } = [];
}

public sealed record Machine(int Cores, string Cpu, long MemoryBytes)
{
    public static Machine Read()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))["MemTotal:".Length..].Trim().Split(' ')[0];
        return new Machine(Environment.ProcessorCount, cpu, long.Parse(memKb, CultureInfo.InvariantCulture) * 1024);
    }

    public override string ToString() => $"machine: {Cores} cores (nproc), {Cpu}, {MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB memory";
}

public static class ResultTable
{
    private static readonly string[] Headers = ["scenario", "figure", "value", "baseline", "ratio", "goal", "met?"];

    public static string Format(IEnumerable<ResultRow> rows)
    {
        var lines = rows.Select(r => new[]
        {
            r.Scenario,
            r.Figure,
            $"{Number(r.Value)} {r.Unit}",
            r.Baseline is { } b ? $"{Number(b)} ({r.BaselineName})" : "-",
            r.Ratio is { } x ? $"{x:0.00}x" : "-",
            r.Goal,
            r.Met switch { true => "yes", false => "NO", null => "-" },
        }).ToList();
        var widths = Headers.Select((h, i) => Math.Max(h.Length, lines.Count == 0 ? 0 : lines.Max(l => l[i].Length))).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        Line(Headers);
        text.AppendLine(string.Join("-|-", widths.Select(w => new string('-', w))));
        lines.ForEach(Line);
        return text.ToString();
    }

    public static async Task WriteJsonAsync(string path, Machine machine, bool smoke, IReadOnlyDictionary<string, string> sizes, IEnumerable<ResultRow> rows, PlotSeries plot, CancellationToken cancellationToken)
    {
        var document = new
        {
            date = DateTimeOffset.UtcNow,
            smoke,
            machine,
            sizes,
            rows = rows.Select(r => new { r.Scenario, r.Figure, r.Value, r.Unit, r.Baseline, r.BaselineName, r.Ratio, r.Goal, r.Met }),
            fanout = plot.Fanout.Select(p => new { consoles = p.Consoles, megabytesPerSecond = p.MegabytesPerSecond }),
            ptyFanout = plot.PtyFanout.Select(p => new { consoles = p.Consoles, megabytesPerSecond = p.MegabytesPerSecond }),
            latency = plot.Latency.Select(p => new { percentile = p.Percentile, charWebMs = p.CharWebMs, baselineMs = p.BaselineMs }),
        };
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, document, new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }, cancellationToken);
    }

    private static string Number(double value) => value switch
    {
        0 => "0",
        >= 100 or <= -100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 1 or <= -1 => value.ToString("0.00", CultureInfo.InvariantCulture),
        _ => value.ToString("0.000", CultureInfo.InvariantCulture),
    };
}
