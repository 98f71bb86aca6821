namespace CharWeb.Bench.Scenarios;

/// <summary>
/// One socket chardev, 1, 10, 100 consoles that ack: mean per-console MB/s, as a ratio to 1 console.
/// Each count gets its own chardev on the same server; 1-console warm-up pushes run first (<see cref="Warmup"/>).
/// </summary>
public sealed class Fanout : IScenario
{
    public string Name => "fanout";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.FanoutMegabytes * 1_000_000L;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);
        await Warmup.RunAsync(context.Options, round => SocketPush.RunAsync(server, $"warmup{round}", Math.Min(bytes, Warmup.PushBytes), [true], cancellationToken));

        var rows = new List<ResultRow>();
        double? single = null;
        var largest = context.Options.Consoles.Max();
        foreach (var count in context.Options.Consoles)
        {
            var figures = await SocketPush.RunAsync(server, $"fan{count}", bytes, [.. Enumerable.Repeat(true, count)], cancellationToken);
            var perConsole = figures.Average(f => f.MegabytesPerSecond);
            var lost = figures.Sum(f => f.Lost);
            single ??= count == 1 ? perConsole : null;
            context.Plot.Fanout.Add((count, perConsole));
            var ratio = single is { } s && s > 0 ? perConsole / s : (double?)null;
            var goal = count == largest && count > 1 ? $"≥ 0.5x at {count}" : "informational";
            bool? met = count == largest && count > 1 && ratio is { } r ? r >= 0.5 : null;
            rows.Add(new(Name, $"{count} console{(count == 1 ? "" : "s")}, per console ({lost / 1e6:0.#} MB lost in all)", perConsole, "MB/s", single, "1 console", goal, met));
        }

        return rows;
    }
}
