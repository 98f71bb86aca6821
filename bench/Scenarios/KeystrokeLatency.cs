using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// One key at a time through the hub's <c>Write</c> into a testdev chardev, timed until its echo comes
/// back on the console's attach stream. Baseline: a 1-byte round trip through a raw TCP echo server
/// in this process, so the ratio is CharWeb's own overhead.
/// </summary>
public sealed class KeystrokeLatency : IScenario
{
    private const int WarmupKeys = 100;
    private static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(10);

    public string Name => "keystroke-latency";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var keys = context.Options.Keys;
        var baseline = await TcpEchoAsync(keys, cancellationToken);

        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);
        await server.CreateAsync(new { id = "echo", backend = new { type = "testdev" } }, cancellationToken);
        await using var console = await BenchConsole.ConnectAsync(server, acknowledges: true, cancellationToken);
        await console.AttachAsync("echo", keepArrivals: true, cancellationToken);
        await HubEchoAsync(console, WarmupKeys, cancellationToken);
        var charweb = await HubEchoAsync(console, keys, cancellationToken);

        var rows = new List<ResultRow>();
        foreach (var (name, q, goal, limit) in new[] { ("p50", 0.50, "< 0.5 ms", 0.5), ("p99", 0.99, "< 2 ms", 2.0), ("max", 1.0, "informational", double.NaN) })
        {
            var value = Percentile(charweb, q);
            var reference = Percentile(baseline, q);
            context.Plot.Latency.Add((name, value, reference));
            rows.Add(new(Name, $"{name} over {keys} keys", value, "ms", reference, "raw TCP echo", goal, double.IsNaN(limit) ? null : value < limit));
        }

        return rows;
    }

    private static async Task<double[]> HubEchoAsync(BenchConsole console, int keys, CancellationToken cancellationToken)
    {
        var latencies = new double[keys];
        for (var i = 0; i < keys; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(KeyTimeout);
            var sent = Stopwatch.GetTimestamp();
            await console.WriteAsync("echo", [(byte)('a' + (i % 26))], timeout.Token);
            var (arrived, _) = await console.Arrivals.ReadAsync(timeout.Token);
            latencies[i] = Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds;
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
        for (var i = -WarmupKeys; i < keys; i++)
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

    private static double Percentile(double[] values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Round(q * (sorted.Length - 1))];
    }
}
