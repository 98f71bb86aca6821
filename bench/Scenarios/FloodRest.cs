using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// "The server answers REST within 100 ms throughout" a flood: consoles that ack on a socket chardev,
/// a raw TCP peer pushing N MB flat out (again for each of R rounds, each peer connecting anew), and <c>GET /api/chardevs/{id}</c> timed back to back from the
/// first byte sent until every console has accounted for the last. Baseline: the same GETs on the same
/// server with the same consoles attached, before the flood.
/// </summary>
public sealed class FloodRest : IScenario
{
    private const string Id = "flood";
    private const int WarmupCalls = 100;
    private const int IdleCalls = 1000;

    public string Name => "flood-rest";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.FloodMegabytes * 1_000_000L;
        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken);
        var port = await server.CreateSocketServerAsync(Id, cancellationToken);
        var consoles = new List<BenchConsole>();
        try
        {
            for (var i = 0; i < context.Options.FloodConsoles; i++)
            {
                var console = await BenchConsole.ConnectAsync(server, acknowledges: true, cancellationToken);
                consoles.Add(console);
                await console.AttachAsync(Id, keepArrivals: false, cancellationToken);
            }

            await TimeGetsAsync(server, WarmupCalls, cancellationToken);
            var idle = await TimeGetsAsync(server, IdleCalls, cancellationToken);

            // Each flood is over in a fraction of a second; several in a row give the percentiles enough calls.
            var rounds = context.Options.FloodRounds;
            using var flooding = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var during = TimeGetsUntilAsync(server, flooding.Token, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            for (var round = 1; round <= rounds; round++)
            {
                using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                await SocketPush.SendAsync(peer, bytes, cancellationToken);
                var total = bytes * round;
                if ((await Task.WhenAll(consoles.Select(c => c.WaitForAsync(total, SocketPush.Idle, cancellationToken)))).Contains(false))
                {
                    // Timing GETs on a server whose flood has stalled would measure an idle server.
                    throw new InvalidOperationException($"a console stopped short of {total} bytes received or lost in round {round}");
                }
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await flooding.CancelAsync();
            var latencies = await during;

            var lost = consoles.Sum(c => c.Lost) / 1e6 / consoles.Count;
            var what = $"GET /api/chardevs/{{id}} during {rounds} x {context.Options.FloodMegabytes} MB to {consoles.Count} consoles";
            return
            [
                .. LatencyRows.Rows(Name, what, latencies, idle, "idle server", 100),
                new(Name, $"GETs answered in the {seconds:0.0} s of {rounds} floods (each console lost {lost:0.#} MB)", latencies.Length, "calls", null, "", "informational", null),
            ];
        }
        finally
        {
            foreach (var console in consoles)
            {
                await console.DisposeAsync();
            }
        }
    }

    private static async Task<double[]> TimeGetsAsync(CharWebProcess server, int calls, CancellationToken cancellationToken)
    {
        var latencies = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            latencies[i] = await TimeGetAsync(server, cancellationToken);
        }

        return latencies;
    }

    /// <summary>GETs back to back until <paramref name="until"/> is cancelled; the call in flight then still counts.</summary>
    private static async Task<double[]> TimeGetsUntilAsync(CharWebProcess server, CancellationToken until, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        while (!until.IsCancellationRequested)
        {
            latencies.Add(await TimeGetAsync(server, cancellationToken));
        }

        return [.. latencies];
    }

    private static async Task<double> TimeGetAsync(CharWebProcess server, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await server.Http.GetAsync($"/api/chardevs/{Id}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return response.IsSuccessStatusCode
            ? elapsed
            : throw new InvalidOperationException($"GET /api/chardevs/{Id} answered {(int)response.StatusCode}: {body}");
    }
}
