namespace CharWeb.Bench.Scenarios;

/// <summary>
/// socket chardev (the default <c>flow: pace</c>) → 1 raw WebSocket console (<c>GET /ws/chardevs/{id}</c>,
/// a <see cref="System.Net.WebSockets.ClientWebSocket"/> reading as fast as frames come), N MB from a
/// raw TCP peer; baseline: socat relaying the same N MB unix→tcp, in the same run. No SignalR on the
/// way, so the goal is nearer socat than the hub console's.
/// </summary>
public sealed class WebSocketThroughput : IScenario
{
    public string Name => "websocket-throughput";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.Megabytes * 1_000_000L;
        var socat = await SocatRelay.MegabytesPerSecondAsync(bytes, cancellationToken);

        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, ThroughputRows.Settings);
        await Warmup.SocketPushesAsync(context.Options, server, bytes, ConsoleWire.RawWebSocket, cancellationToken);
        var push = await SocketPush.RunAsync(server, "ws", bytes, [true], ConsoleWire.RawWebSocket, null, cancellationToken);
        return [.. ThroughputRows.Rows(Name, "1 raw WebSocket console (ClientWebSocket, flow: pace)", push, bytes, socat, 0.8)];
    }
}
