using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// One key at a time through the hub's <c>Write</c>, timed until its echo comes back on the console's
/// attach stream, through two echoes: a <c>testdev</c> chardev (CharWeb alone) and an <c>exec</c>
/// chardev running <c>cat</c> on its pty in raw mode (a real program on a real pty, as a shell's
/// line editor echoes). Each path is warmed for <see cref="Warmup"/> first, so the keys measure a
/// running server and not the JIT. Baseline: a 1-byte round trip through a raw TCP echo server in
/// this process, so the ratio is CharWeb's own overhead.
/// </summary>
public sealed class KeystrokeLatency : IScenario
{
    private const int BaselineWarmupKeys = 100;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(10);

    public string Name => "keystroke-latency";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var keys = context.Options.Keys;
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
            await HubEchoAsync(console, id, keys: null, cancellationToken);
            var charweb = await HubEchoAsync(console, id, keys, cancellationToken);
            foreach (var (name, q, goal, limit) in new[] { ("p50", 0.50, "< 0.5 ms", 0.5), ("p99", 0.99, "< 2 ms", 2.0), ("max", 1.0, "informational", double.NaN) })
            {
                var value = LatencyRows.Percentile(charweb, q);
                var reference = LatencyRows.Percentile(baseline, q);
                context.Plot.Latency.Add(($"{id} {name}", value, reference));
                rows.Add(new(Name, $"{echo} echo, {name} over {keys} keys", value, "ms", reference, "raw TCP echo", goal, double.IsNaN(limit) ? null : value < limit));
            }
        }

        return rows;
    }

    /// <summary>
    /// Types keys a..z in turn, each timed until an output chunk ending in it arrives (so a stray
    /// chunk, such as the exec's "ready" line, is never taken for an echo); <paramref name="keys"/>
    /// null types for <see cref="Warmup"/> and answers nothing.
    /// </summary>
    private static async Task<double[]> HubEchoAsync(BenchConsole console, string id, int? keys, CancellationToken cancellationToken)
    {
        var latencies = new double[keys ?? 0];
        var warmupEnds = Stopwatch.GetTimestamp() + (long)(Warmup.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; keys is { } n ? i < n : Stopwatch.GetTimestamp() < warmupEnds; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(KeyTimeout);
            var key = (byte)('a' + (i % 26));
            var sent = Stopwatch.GetTimestamp();
            await console.WriteAsync(id, [key], timeout.Token);
            long arrived;
            byte[] data;
            do
            {
                (arrived, data) = await console.Arrivals.ReadAsync(timeout.Token);
            }
            while (data.Length == 0 || data[^1] != key);

            if (keys is not null)
            {
                latencies[i] = Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds;
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
