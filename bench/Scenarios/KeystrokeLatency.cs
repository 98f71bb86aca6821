using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// One key at a time through the hub's <c>Write</c>, timed until its echo comes back on the console's
/// attach stream, through two echoes: a <c>testdev</c> chardev (CharWeb alone) and an <c>exec</c>
/// chardev running <c>cat</c> on its pty in raw mode (a real program on a real pty, as a shell's
/// line editor echoes). Each path is typed into for 2 s first, so the keys measure a
/// running server and not the JIT. Baseline: a 1-byte round trip through a raw TCP echo server in
/// this process, so the ratio is CharWeb's own overhead.
/// Then the same keys on a socket chardev whose output is paced: its peer (<see cref="FloodingEcho"/>)
/// floods it flat out and echoes each key into the flood, and the console acks, so the device is
/// read only as fast as the console takes output. The echo comes back behind whatever output is
/// already queued between the peer and the console, as in any terminal; the rows say how much that
/// was, and time the key to the peer (the input side alone). Baseline: the same echo before the flood.
/// </summary>
public sealed class KeystrokeLatency : IScenario
{
    private const int BaselineWarmupKeys = 100;
    private const string PacedId = "paced";
    private const long FloodUnderWay = 1_000_000;
    private static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(10);

    public string Name => "keystroke-latency";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var keys = context.Options.Keys;
        var warmup = TimeSpan.FromSeconds(context.Options.Smoke ? 0.2 : 2);
        var baseline = await TcpEchoAsync(keys, cancellationToken);

        var settings = new Dictionary<string, string> { ["CharWeb__Exec__Allowed__0"] = "/bin/sh" };
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, settings);
        await server.CreateAsync(new { id = "testdev", backend = new { type = "testdev" } }, cancellationToken);
        await server.CreateAsync(new { id = "pty-cat", backend = new { type = "exec", command = "/bin/sh", args = new[] { "-c", "stty raw -echo && echo ready && exec cat" } } }, cancellationToken);

        var rows = new List<ResultRow>();
        foreach (var (id, echo) in new[] { ("testdev", "testdev"), ("pty-cat", "pty (exec cat)") })
        {
            await using var console = await BenchConsole.ConnectAsync(server, acknowledges: true, cancellationToken);
            await console.AttachAsync(id, keepArrivals: true, cancellationToken);
            await HubEchoAsync(console, id, keys: null, warmup, cancellationToken);
            var charweb = await HubEchoAsync(console, id, keys, warmup, cancellationToken);
            foreach (var (name, q, goal, limit) in new[] { ("p50", 0.50, "< 0.5 ms", 0.5), ("p99", 0.99, "< 2 ms", 2.0), ("max", 1.0, "informational", double.NaN) })
            {
                var value = LatencyRows.Percentile(charweb, q);
                var reference = LatencyRows.Percentile(baseline, q);
                context.Plot.Latency.Add(($"{id} {name}", value, reference));
                rows.Add(new(Name, $"{echo} echo, {name} over {keys} keys", value, "ms", reference, "raw TCP echo", goal, double.IsNaN(limit) ? null : value < limit));
            }
        }

        rows.AddRange(await PacedAsync(server, context.Options.PacedKeys, warmup, cancellationToken));
        return rows;
    }

    /// <summary>The paced echo: keys before the flood (the baseline), then while it floods, paced by the acking console.</summary>
    private async Task<IEnumerable<ResultRow>> PacedAsync(CharWebProcess server, int keys, TimeSpan warmup, CancellationToken cancellationToken)
    {
        var port = await server.CreateSocketServerAsync(PacedId, cancellationToken);
        await using var console = await BenchConsole.ConnectAsync(server, acknowledges: true, cancellationToken);
        await console.AttachAsync(PacedId, FloodingEcho.HoldsEcho, cancellationToken);
        await using var echo = await FloodingEcho.ConnectAsync(port, cancellationToken);
        await server.WaitConnectedAsync(PacedId, KeyTimeout, cancellationToken);

        await PacedEchoAsync(console, echo, keys: null, warmup, cancellationToken);
        var idle = await PacedEchoAsync(console, echo, keys, warmup, cancellationToken);
        echo.StartFlood();
        if (!await console.WaitForAsync(console.Received + FloodUnderWay, SocketPush.Idle, cancellationToken))
        {
            throw new InvalidOperationException($"the flood did not reach the console: {console.Received} bytes received, {echo.Flooded} sent");
        }

        await PacedEchoAsync(console, echo, keys: null, warmup, cancellationToken);
        var (received, lost, flooded) = (console.Received, console.Lost, echo.Flooded);
        var started = Stopwatch.GetTimestamp();
        (double PeerSend, double ServerReceive) queues;
        (double[] Echo, double[] Input, double[] Ahead) flooding;
        await using (var sampled = new TcpQueues(echo.LocalPort, port))
        {
            flooding = await PacedEchoAsync(console, echo, keys, warmup, cancellationToken);
            queues = sampled.Medians();
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        return
        [
            .. Percentiles($"paced socket echo, peer flooding: key → echo on the console, {keys} keys,", flooding.Echo, idle.Echo, "< 2 ms", 2.0),
            .. Percentiles("the same keys → the peer reading them (input side alone),", flooding.Input, idle.Input, "informational", double.NaN),
            new(Name, "output queued ahead of each echo (between the peer and the console), median", LatencyRows.Percentile(flooding.Ahead, 0.5) / 1e3, "KB", null, "", "informational", null),
            new(Name, "of it, in the peer's own socket send queue (its kernel's, not CharWeb's), median of 5 ms samples", queues.PeerSend / 1e3, "KB", null, "", "informational", null),
            new(Name, "of it, in the server's socket receive queue (read when the console has room), median", queues.ServerReceive / 1e3, "KB", null, "", "informational", null),
            new(Name, $"flood the console took during the keys (it lost {(console.Lost - lost) / 1e6:0.#} MB; the peer sent {(echo.Flooded - flooded) / 1e6 / seconds:0.#} MB/s)", (console.Received - received) / 1e6 / seconds, "MB/s", null, "", "informational", null),
        ];

        // Only p99 carries the goal, as for the idle echoes; limit NaN: the rows only locate the time.
        IEnumerable<ResultRow> Percentiles(string figure, double[] values, double[] before, string goal, double limit) =>
            new[] { (Label: "p50", Q: 0.50), (Label: "p99", Q: 0.99), (Label: "max", Q: 1.0) }.Select(p => new ResultRow(
                Name,
                $"{figure} {p.Label}",
                LatencyRows.Percentile(values, p.Q),
                "ms",
                LatencyRows.Percentile(before, p.Q),
                "same echo before the flood",
                p.Label == "p99" ? goal : "informational",
                p.Label == "p99" && !double.IsNaN(limit) ? LatencyRows.Percentile(values, p.Q) < limit : null));
    }

    /// <summary>
    /// Types keys a..x in turn (never the flood's 'y' or '\n'), each timed to the peer reading it and to
    /// the first kept chunk holding its echo, with how much output the console had still to receive
    /// before the echo; <paramref name="keys"/> null types for <paramref name="warmup"/> and answers nothing.
    /// </summary>
    private static async Task<(double[] Echo, double[] Input, double[] Ahead)> PacedEchoAsync(BenchConsole console, FloodingEcho echo, int? keys, TimeSpan warmup, CancellationToken cancellationToken)
    {
        var (echoes, inputs, ahead) = (new double[keys ?? 0], new double[keys ?? 0], new double[keys ?? 0]);
        var warmupEnds = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; keys is { } n ? i < n : Stopwatch.GetTimestamp() < warmupEnds; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(KeyTimeout);
            var key = (byte)('a' + (i % 24));
            var had = console.Received;
            var sent = Stopwatch.GetTimestamp();
            await console.WriteAsync(PacedId, [key], timeout.Token);
            var read = await echo.Arrivals.ReadAsync(timeout.Token);
            Arrival arrival;
            int at;
            do
            {
                arrival = await console.Arrivals.ReadAsync(timeout.Token);
                at = arrival.Data.AsSpan().LastIndexOf(key);
            }
            while (at < 0);

            if (keys is not null)
            {
                echoes[i] = Stopwatch.GetElapsedTime(sent, arrival.Timestamp).TotalMilliseconds;
                inputs[i] = Stopwatch.GetElapsedTime(sent, read).TotalMilliseconds;
                ahead[i] = arrival.End - (arrival.Data.Length - at) - had;
            }
        }

        return (echoes, inputs, ahead);
    }

    /// <summary>
    /// Types keys a..z in turn, each timed until an output chunk ending in it arrives (so a stray
    /// chunk, such as the exec's "ready" line, is never taken for an echo); <paramref name="keys"/>
    /// null types for <paramref name="warmup"/> and answers nothing.
    /// </summary>
    private static async Task<double[]> HubEchoAsync(BenchConsole console, string id, int? keys, TimeSpan warmup, CancellationToken cancellationToken)
    {
        var latencies = new double[keys ?? 0];
        var warmupEnds = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; keys is { } n ? i < n : Stopwatch.GetTimestamp() < warmupEnds; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(KeyTimeout);
            var key = (byte)('a' + (i % 26));
            var sent = Stopwatch.GetTimestamp();
            await console.WriteAsync(id, [key], timeout.Token);
            Arrival arrival;
            do
            {
                arrival = await console.Arrivals.ReadAsync(timeout.Token);
            }
            while (arrival.Data.Length == 0 || arrival.Data[^1] != key);

            if (keys is not null)
            {
                latencies[i] = Stopwatch.GetElapsedTime(sent, arrival.Timestamp).TotalMilliseconds;
            }
        }

        return latencies;
    }

    private static async Task<double[]> TcpEchoAsync(int keys, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accepting = listener.AcceptSocketAsync(cancellationToken);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, cancellationToken);
        using var echo = await accepting;
        echo.NoDelay = true;
        var echoing = EchoAsync(echo, cancellationToken);

        var one = new byte[1];
        var latencies = new double[keys];
        for (var i = -BaselineWarmupKeys; i < keys; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            await client.SendAsync(one, SocketFlags.None, cancellationToken);
            await client.ReceiveAsync(one, SocketFlags.None, cancellationToken);
            if (i >= 0)
            {
                latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            }
        }

        client.Shutdown(SocketShutdown.Both);
        await echoing;
        return latencies;
    }

    private static async Task EchoAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
        }
    }
}
