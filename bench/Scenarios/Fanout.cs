namespace CharWeb.Bench.Scenarios;

/// <summary>
/// One socket chardev, 1, 10, 100 consoles that ack: mean per-console MB/s as a ratio to 1 console,
/// the bytes they lost (paced, none), and the server's CPU seconds (utime + stime) per GB delivered
/// to all consoles together, as a ratio to 1 console: fan-out should cost the server less per byte
/// delivered, since the device is read once for all. Every count delivers the same total (the largest
/// count times <c>--fanout-mb</c>), so each CPU figure is timed over the same work and not over a
/// few clock ticks. Each count gets its own chardev on the same server; 1-console warm-up pushes run
/// first (<see cref="Warmup"/>).
/// </summary>
public sealed class Fanout : IScenario
{
    public string Name => "fanout";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var largest = context.Options.Consoles.Max();
        var total = context.Options.FanoutMegabytes * 1_000_000L * largest;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, CharWebProcess.ConsoleLimits(largest));
        await Warmup.SocketPushesAsync(context.Options, server, context.Options.FanoutMegabytes * 1_000_000L, ConsoleWire.Hub, cancellationToken);

        var rows = new List<ResultRow>();
        var cpuRows = new List<ResultRow>();
        double? single = null;
        double? singleCpu = null;
        foreach (var count in context.Options.Consoles)
        {
            var bytes = total / count;
            var push = await SocketPush.RunAsync(server, $"fan{count}", bytes, [.. Enumerable.Repeat(true, count)], cancellationToken);
            var perConsole = push.Consoles.Average(f => f.MegabytesPerSecond);
            var lost = push.Consoles.Sum(f => f.Lost);
            var atLargest = count == largest && count > 1;
            single ??= count == 1 ? perConsole : null;
            singleCpu ??= count == 1 ? push.CpuSecondsPerGigabyte : null;
            context.Plot.Fanout.Add((count, perConsole));
            var ratio = single is { } s && s > 0 ? perConsole / s : (double?)null;
            var consoles = $"{count} console{(count == 1 ? "" : "s")}";
            rows.Add(new(Name, $"{consoles}, per console", perConsole, "MB/s", single, "1 console", atLargest ? $"≥ 0.5x at {count}" : "informational", atLargest && ratio is { } r ? r >= 0.5 : null));
            rows.Add(new(Name, $"{consoles}, lost in all", lost / 1e6, "MB", push.Consoles.Count * bytes / 1e6, "sent to all", "0", lost == 0));
            var cpuRatio = singleCpu is { } c && c > 0 ? push.CpuSecondsPerGigabyte / c : (double?)null;
            cpuRows.Add(new(
                Name,
                $"{consoles}, server CPU per delivered GB ({push.Server.CpuSeconds:0.00} s for {push.Delivered / 1e9:0.###} GB)",
                push.CpuSecondsPerGigabyte,
                "s/GB",
                singleCpu,
                "1 console",
                atLargest ? $"≤ 0.4x at {count}" : "informational",
                atLargest && cpuRatio is { } x ? x <= 0.4 : null));
        }

        return [.. rows, .. cpuRows];
    }
}
