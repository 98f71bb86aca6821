namespace CharWeb.Bench.Scenarios;

/// <summary>
/// 10 consoles of which one never acknowledges, against 10 healthy ones: the healthy consoles'
/// mean MB/s must stay within 0.9x and they must lose nothing, since a stalled console must never
/// slow or cost the others; the paced device must still be read to the end (a console that takes
/// nothing for 2 s no longer holds it), while the stalled one loses what it did not take.
/// </summary>
public sealed class Stalled : IScenario
{
    public string Name => "stalled";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.StalledMegabytes * 1_000_000L;
        var count = context.Options.StalledConsoles;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, CharWebProcess.ConsoleLimits(count));
        await Warmup.SocketPushesAsync(context.Options, server, bytes, ConsoleWire.Hub, cancellationToken);

        var healthy = await SocketPush.RunAsync(server, "healthy", bytes, [.. Enumerable.Repeat(true, count)], cancellationToken);
        var stalled = await SocketPush.RunAsync(server, "stalled", bytes, [false, .. Enumerable.Repeat(true, count - 1)], cancellationToken);
        var read = CharWebProcess.Stat(await server.GetAsync("stalled", cancellationToken), "outputBytes");
        var reference = healthy.Consoles.Average(f => f.MegabytesPerSecond);
        var others = stalled.Consoles.Where(f => f.Acknowledges).ToList();
        var othersRate = others.Average(f => f.MegabytesPerSecond);
        var othersLost = others.Sum(f => f.Lost);
        var stuck = stalled.Consoles.Single(f => !f.Acknowledges);
        return
        [
            new(Name, $"{count - 1} healthy beside 1 stalled, per console", othersRate, "MB/s", reference, $"{count} healthy", "≥ 0.9x", othersRate / reference >= 0.9),
            new(Name, $"bytes the {count - 1} healthy lost in all", othersLost / 1e6, "MB", others.Count * bytes / 1e6, "sent to them", "0", othersLost == 0),
            new(Name, "the device read to the end (its outputBytes)", read / 1e6, "MB", bytes / 1e6, "sent", "= sent", read == bytes),
            new(Name, "bytes the stalled console lost", stuck.Lost / 1e6, "MB", bytes / 1e6, "sent", "informational", null),
            new(Name, $"bytes the {count} healthy lost in all, with none stalled (the reference run)", healthy.Consoles.Sum(f => f.Lost) / 1e6, "MB", count * bytes / 1e6, "sent to them", "informational", null),
        ];
    }
}
