using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Reliability;

/// <summary>
/// The flood: 10 consoles attached, 200 MB through a socket chardev. Every console gets the
/// device's output in order with each gap announced where it is; REST answers throughout. Flat out on
/// two cores no console keeps up with 200 MB, so a tail follows once all have caught up: 512 KiB, less
/// than a console's buffer, which every console must then get whole (SHA-256). How fast REST answers
/// is measured in bench (<c>flood-rest</c>), not here.
/// </summary>
public sealed class FloodTests
{
    private const long Flood = 200_000_000;
    private const long Tail = 512 << 10;
    private const long Total = Flood + Tail;
    private const int Consoles = 10;
    private const int WriteBytes = 64 << 10;

    [Fact]
    public async Task TenConsolesGetTwoHundredMegabytesInOrderWithEveryGapAccountedWhileRestAnswers()
    {
        var source = new RepeatedBlock(1_048_573, seed: 7);
        var expected = Convert.ToHexString(source.Hash(Flood, Tail));
        await using var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync("""{"id": "flood", "backend": {"type": "socket", "server": true, "addr": {"type": "inet", "host": "127.0.0.1", "port": 0}}}""");
        var consoles = new List<VerifyingConsole>();
        using var restDone = new CancellationTokenSource();
        try
        {
            for (var i = 0; i < Consoles; i++)
            {
                var console = await VerifyingConsole.ConnectAsync(server, $"console {i}", source, Total, tailFrom: Flood);
                consoles.Add(console);
                await console.AttachAsync("flood");
            }

            using var peer = new TcpClient { NoDelay = true };
            await peer.ConnectAsync(IPAddress.Loopback, PeerFaultTests.PortOf(created), CharWebServer.Timeout());
            var rest = PollRestAsync(server, "flood", restDone.Token);
            var clock = Stopwatch.StartNew();
            await PushAsync(peer.GetStream(), source, 0, Flood, CharWebServer.Timeout(120));
            var pushed = clock.Elapsed;
            await Task.WhenAll(consoles.Select(c => c.CaughtUp)).WaitAsync(CharWebServer.Timeout(120));
            var drained = clock.Elapsed;
            await PushAsync(peer.GetStream(), source, Flood, Total, CharWebServer.Timeout());
            await Task.WhenAll(consoles.Select(c => c.Completion)).WaitAsync(CharWebServer.Timeout());
            await restDone.CancelAsync();
            var latencies = await rest.WaitAsync(CharWebServer.Timeout());

            Assert.All(consoles, c => Assert.Equal(Total, c.Offset));
            Assert.All(consoles, c => Assert.Equal(Total, c.Received + c.Lost));
            Assert.All(consoles, c => Assert.Equal(0, c.TailLost));
            Assert.All(consoles, c => Assert.Equal(expected, Convert.ToHexString(c.TailHash())));

            // The server's count of each console is what the consoles saw (matched as a set: the list has no client names).
            var listed = await HubConsole.ListAsync(server, "flood");
            Assert.Equal(Consoles, listed.Count);
            Assert.All(listed, c => Assert.Equal(0, c!["queuedBytes"]!.GetValue<long>()));
            Assert.Equal(
                consoles.Select(c => (c.Received, c.Lost)).Order(),
                listed.Select(c => (c!["bytesSent"]!.GetValue<long>(), c["bytesLost"]!.GetValue<long>())).Order());
            Assert.Equal(Total, Stat(await server.GetAsync("flood"), "outputBytes"));

            var sorted = latencies.Order().ToArray();
            ConsoleFanoutTests.Report($"{Flood} bytes pushed in {pushed.TotalMilliseconds:0} ms, all {Consoles} consoles caught up at {drained.TotalMilliseconds:0} ms; "
                + $"then every console got all {Tail} bytes of the tail (sha256 {expected[..16]}...)");
            foreach (var console in consoles)
            {
                ConsoleFanoutTests.Report(console.ToString());
            }

            ConsoleFanoutTests.Report($"REST during the flood: {sorted.Length} GETs, p50 {Percentile(sorted, 0.50):0.00} ms, "
                + $"p99 {Percentile(sorted, 0.99):0.00} ms, max {sorted[^1]:0.00} ms");
        }
        finally
        {
            await restDone.CancelAsync();
            foreach (var console in consoles)
            {
                await console.DisposeAsync();
            }
        }
    }

    /// <summary>The source from <paramref name="from"/> to <paramref name="to"/>, flat out, in writes that straddle the block boundary as they fall.</summary>
    private static async Task PushAsync(NetworkStream peer, RepeatedBlock source, long from, long to, CancellationToken cancellationToken)
    {
        for (var offset = from; offset < to;)
        {
            var piece = source.Slice(offset, (int)Math.Min(WriteBytes, to - offset));
            await peer.WriteAsync(piece, cancellationToken);
            offset += piece.Length;
        }
    }

    /// <summary>
    /// <c>GET /api/chardevs/{id}</c> every 10 ms until stopped, each within 5 s (liveness, not speed):
    /// each answer is the chardev with its consoles and an output count that only grows. Answers the latencies.
    /// </summary>
    private static async Task<List<double>> PollRestAsync(CharWebServer server, string id, CancellationToken stop)
    {
        var latencies = new List<double>();
        var output = 0L;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        do
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await server.Http.GetAsync($"/api/chardevs/{id}", CharWebServer.Timeout(5));
            var body = await response.Content.ReadAsStringAsync(CharWebServer.Timeout(5));
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /api/chardevs/{id} answered {(int)response.StatusCode} during the flood: {body}");
            var chardev = JsonNode.Parse(body)!.AsObject();
            Assert.Equal(id, chardev["id"]!.GetValue<string>());
            Assert.Equal(Consoles, chardev["consoles"]!.GetValue<int>());
            var now = Stat(chardev, "outputBytes");
            Assert.InRange(now, output, Total);
            output = now;
        }
        while (await NextTickAsync(tick, stop));

        return latencies;
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer tick, CancellationToken stop)
    {
        try
        {
            return await tick.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
    }

    private static long Stat(JsonObject chardev, string name) => chardev["stats"]![name]!.GetValue<long>();

    private static double Percentile(double[] sorted, double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
}
