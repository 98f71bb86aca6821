namespace CharWeb.Bench.Scenarios;

/// <summary>
/// 10 consoles of which one never acknowledges, against 10 healthy ones: the healthy consoles'
/// mean MB/s must stay within 0.9x, since a slow console must never slow the others.
/// </summary>
public sealed class Stalled : IScenario
{
    public string Name => "stalled";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.FanoutMegabytes * 1_000_000L;
        var count = context.Options.StalledConsoles;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);
        await Warmup.RunAsync(context.Options, round => SocketPush.RunAsync(server, $"warmup{round}", Math.Min(bytes, Warmup.PushBytes), [true], cancellationToken));

        var healthy = await SocketPush.RunAsync(server, "healthy", bytes, [.. Enumerable.Repeat(true, count)], cancellationToken);
        var stalled = await SocketPush.RunAsync(server, "stalled", bytes, [false, .. Enumerable.Repeat(true, count - 1)], cancellationToken);
        var reference = healthy.Average(f => f.MegabytesPerSecond);
        var others = stalled.Where(f => f.Acknowledges).Average(f => f.MegabytesPerSecond);
        var stuck = stalled.Single(f => !f.Acknowledges);
        return
        [
            new(Name, $"{count - 1} healthy beside 1 stalled, per console", others, "MB/s", reference, $"{count} healthy", "≥ 0.9x", others / reference >= 0.9),
            new(Name, "bytes the stalled console lost", stuck.Lost / 1e6, "MB", bytes / 1e6, "sent", "informational", null),
        ];
    }
}
