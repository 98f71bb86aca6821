using System.Diagnostics;
using System.Net.WebSockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// Issue 12, "console through a forwarding node vs direct to the owner": two nodes sharing a real
/// <c>redis-server</c>; the chardevs live on b. A raw WebSocket console (<c>/ws/chardevs/{id}</c>) attached
/// through a, which forwards it to b with YARP, against the same console attached to b directly, in the
/// same run: N MB pushed into a paced socket chardev; the same for a SignalR console on a's hub, which relays it from
/// b's hub, against one on b's hub; and keystrokes echoed by a <c>testdev</c>.
/// </summary>
public sealed class ClusterConsole : IScenario
{
    private const int WarmupKeys = 200;

    public string Name => "cluster-console";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.Megabytes * 1_000_000L;
        var keys = context.Options.Keys;
        await using var cluster = await BenchCluster.StartAsync(context.AppDir, ["a", "b"], ThroughputRows.Settings, cancellationToken);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        // One echo per path: a console sees every echo of its chardev, the other path's keys too.
        await b.CreateAsync(new { id = "echo-direct", backend = new { type = "testdev" } }, cancellationToken);
        await b.CreateAsync(new { id = "echo-through", backend = new { type = "testdev" } }, cancellationToken);

        // Warm both paths through a (a's forwarder and relay, b's consoles), then direct and through a alternately, so
        // neither has the quieter machine.
        var warmup = Math.Min(bytes, Warmup.PushBytes);
        await Warmup.RunAsync(context.Options, a, async round =>
        {
            await SocketPush.RunAsync(b, a, $"warmup{round}", warmup, [true], ConsoleWire.RawWebSocket, null, cancellationToken);
            await SocketPush.RunAsync(b, a, $"warmuphub{round}", warmup, [true], ConsoleWire.Hub, null, cancellationToken);
        });
        var direct = await SocketPush.RunAsync(b, b, "direct", bytes, [true], ConsoleWire.RawWebSocket, null, cancellationToken);
        var forwarded = await SocketPush.RunAsync(b, a, "forwarded", bytes, [true], ConsoleWire.RawWebSocket, null, cancellationToken);
        var hubDirect = await SocketPush.RunAsync(b, b, "hubdirect", bytes, [true], ConsoleWire.Hub, null, cancellationToken);
        var hubRelayed = await SocketPush.RunAsync(b, a, "hubrelayed", bytes, [true], ConsoleWire.Hub, null, cancellationToken);
        var (directKeys, forwardedKeys) = await EchoAsync(b, a, keys, cancellationToken);

        var (through, straight) = (forwarded.Consoles.Single(), direct.Consoles.Single());
        var (relayed, hub) = (hubRelayed.Consoles.Single(), hubDirect.Consoles.Single());
        var ratio = through.MegabytesPerSecond / straight.MegabytesPerSecond;
        var hubRatio = relayed.MegabytesPerSecond / hub.MegabytesPerSecond;
        var added = LatencyRows.Percentile(forwardedKeys, 0.99) - LatencyRows.Percentile(directKeys, 0.99);
        return
        [
            new(Name, $"socket → raw WebSocket through node a to b, {bytes / 1_000_000} MB, delivered", through.MegabytesPerSecond, "MB/s", straight.MegabytesPerSecond, "the same console direct to b", "0 lost, ≥ 0.7x direct", through.Lost == 0 && ratio >= 0.7),
            new(Name, "bytes lost through a; direct", through.Lost / 1e6, "MB", straight.Lost / 1e6, "direct", "0", through.Lost == 0 && straight.Lost == 0),
            new(Name, $"socket → SignalR console on a, relayed to b, {bytes / 1_000_000} MB, delivered", relayed.MegabytesPerSecond, "MB/s", hub.MegabytesPerSecond, "the same console on b's hub", "0 lost, ≥ 0.7x direct", relayed.Lost == 0 && hubRatio >= 0.7),
            new(Name, "bytes lost relayed by a; direct", relayed.Lost / 1e6, "MB", hub.Lost / 1e6, "direct", "0", relayed.Lost == 0 && hub.Lost == 0),
            new(Name, $"p50 key → echo (testdev on b) through a, {keys} keys", LatencyRows.Percentile(forwardedKeys, 0.5), "ms", LatencyRows.Percentile(directKeys, 0.5), "direct to b", "informational", null),
            new(Name, "p99 key → echo through a", LatencyRows.Percentile(forwardedKeys, 0.99), "ms", LatencyRows.Percentile(directKeys, 0.99), "direct to b", "informational", null),
            new(Name, "p99 added by the forwarding node", added, "ms", null, "", "< 1 ms", added < 1),
        ];
    }

    /// <summary>
    /// One key at a time over a raw WebSocket on a <c>testdev</c> of b's, attached direct to <paramref name="owner"/> and through
    /// <paramref name="via"/>, key for key in turn (after a warm-up of both), so a noisy moment of the machine falls on
    /// both alike: each key's time to its echo, direct and through.
    /// </summary>
    private static async Task<(double[] Direct, double[] Through)> EchoAsync(CharWebProcess owner, CharWebProcess via, int keys, CancellationToken cancellationToken)
    {
        using var direct = await EchoSocketAsync(owner, "echo-direct", cancellationToken);
        using var through = await EchoSocketAsync(via, "echo-through", cancellationToken);
        var key = new byte[1];
        var echo = new byte[16];
        for (var i = 0; i < WarmupKeys; i++)
        {
            await KeyAsync(direct, i, key, echo, cancellationToken);
            await KeyAsync(through, i, key, echo, cancellationToken);
        }

        var (straight, forwarded) = (new double[keys], new double[keys]);
        for (var i = 0; i < keys; i++)
        {
            straight[i] = await KeyAsync(direct, i, key, echo, cancellationToken);
            forwarded[i] = await KeyAsync(through, i, key, echo, cancellationToken);
        }

        await direct.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
        await through.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
        return (straight, forwarded);
    }

    private static async Task<ClientWebSocket> EchoSocketAsync(CharWebProcess via, string id, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new UriBuilder(via.BaseAddress) { Scheme = "ws", Path = "/ws/chardevs/" + id }.Uri, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends key <paramref name="i"/> and waits for its echo: the milliseconds it took.</summary>
    private static async Task<double> KeyAsync(ClientWebSocket socket, int i, byte[] key, byte[] echo, CancellationToken cancellationToken)
    {
        key[0] = (byte)('a' + (i % 26));
        var started = Stopwatch.GetTimestamp();
        await socket.SendAsync(key, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        var received = await socket.ReceiveAsync(echo, cancellationToken);
        var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (received.Count != 1 || echo[0] != key[0])
        {
            throw new InvalidOperationException($"key {i} came back as {received.Count} bytes");
        }

        return took;
    }
}
