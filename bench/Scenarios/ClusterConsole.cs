using System.Diagnostics;
using System.Net.WebSockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// Issue 12, "console through a forwarding node vs direct to the owner": two nodes sharing a real
/// <c>redis-server</c>; the chardevs live on b. A raw WebSocket console (<c>/ws/chardevs/{id}</c>) attached
/// through a, which forwards it to b with YARP, against the same console attached to b directly, in the
/// same run: N MB pushed into a paced socket chardev, and keystrokes echoed by a <c>testdev</c>.
/// </summary>
public sealed class ClusterConsole : IScenario
{
    public string Name => "cluster-console";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.Megabytes * 1_000_000L;
        var keys = context.Options.PacedKeys;
        await using var cluster = await BenchCluster.StartAsync(context.AppDir, ["a", "b"], ThroughputRows.Settings, cancellationToken);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        await b.CreateAsync(new { id = "echo", backend = new { type = "testdev" } }, cancellationToken);

        // Warm both paths, then direct and forwarded alternately, so neither has the quieter machine.
        await Warmup.RunAsync(context.Options, b, round => SocketPush.RunAsync(b, a, $"warmup{round}", Math.Min(bytes, Warmup.PushBytes), [true], ConsoleWire.RawWebSocket, null, cancellationToken));
        var direct = await SocketPush.RunAsync(b, b, "direct", bytes, [true], ConsoleWire.RawWebSocket, null, cancellationToken);
        var forwarded = await SocketPush.RunAsync(b, a, "forwarded", bytes, [true], ConsoleWire.RawWebSocket, null, cancellationToken);
        var directKeys = await EchoAsync(b, keys, cancellationToken);
        var forwardedKeys = await EchoAsync(a, keys, cancellationToken);

        var (through, straight) = (forwarded.Consoles.Single(), direct.Consoles.Single());
        var ratio = through.MegabytesPerSecond / straight.MegabytesPerSecond;
        var added = LatencyRows.Percentile(forwardedKeys, 0.99) - LatencyRows.Percentile(directKeys, 0.99);
        return
        [
            new(Name, $"socket → raw WebSocket through node a to b, {bytes / 1_000_000} MB, delivered", through.MegabytesPerSecond, "MB/s", straight.MegabytesPerSecond, "the same console direct to b", "0 lost, ≥ 0.7x direct", through.Lost == 0 && ratio >= 0.7),
            new(Name, "bytes lost through a; direct", through.Lost / 1e6, "MB", straight.Lost / 1e6, "direct", "0", through.Lost == 0 && straight.Lost == 0),
            new(Name, $"p50 key → echo (testdev on b) through a, {keys} keys", LatencyRows.Percentile(forwardedKeys, 0.5), "ms", LatencyRows.Percentile(directKeys, 0.5), "direct to b", "informational", null),
            new(Name, "p99 key → echo through a", LatencyRows.Percentile(forwardedKeys, 0.99), "ms", LatencyRows.Percentile(directKeys, 0.99), "direct to b", "informational", null),
            new(Name, "p99 added by the forwarding node", added, "ms", null, "", "< 1 ms", added < 1),
        ];
    }

    /// <summary>One key at a time over a raw WebSocket on <c>echo</c>, attached through <paramref name="via"/>: each key's time to its echo.</summary>
    private static async Task<double[]> EchoAsync(CharWebProcess via, int keys, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(via.BaseAddress) { Scheme = "ws", Path = "/ws/chardevs/echo" }.Uri, cancellationToken);
        var key = new byte[1];
        var echo = new byte[16];
        var times = new double[keys];
        for (var i = 0; i < keys; i++)
        {
            key[0] = (byte)('a' + (i % 26));
            var started = Stopwatch.GetTimestamp();
            await socket.SendAsync(key, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            var received = await socket.ReceiveAsync(echo, cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (received.Count != 1 || echo[0] != key[0])
            {
                throw new InvalidOperationException($"key {i} came back as {received.Count} bytes");
            }
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
        return times;
    }
}
