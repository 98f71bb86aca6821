using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Hubs;

/// <summary>Output fan-out: every console gets every byte in order, and a stalled one only hurts itself.</summary>
public sealed class ConsoleFanoutTests
{
    [Fact]
    public async Task TenConsolesEachReceiveTheSameTenMegabytesInOrder()
    {
        const int Total = 10 << 20;
        const int Piece = 256 << 10;
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        var data = RandomBytes(Total, seed: 1);
        var consoles = new List<HubConsole>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var console = await HubConsole.ConnectAsync(server);
                consoles.Add(console);
                await console.AttachAsync("echo", ackEvery: 64 << 10);
            }

            await using var keyboard = await HubConsole.ConnectAsync(server);
            var clock = Stopwatch.StartNew();
            // At most 512 KiB on the way to any console, so the default 1 MiB console buffer never overflows.
            await WriteAsync(keyboard, data, Piece, maxInFlight: 512 << 10, consoles);
            foreach (var console in consoles)
            {
                await console.WaitForReceivedAsync(Total, CharWebServer.Timeout(120));
            }

            clock.Stop();
            var expected = Convert.ToHexString(SHA256.HashData(data));
            Assert.All(consoles, c => Assert.Equal(Total, c.Received));
            Assert.All(consoles, c => Assert.Equal(expected, Convert.ToHexString(c.Hash())));
            Assert.All(consoles, c => Assert.DoesNotContain(c.Events, e => e.Kind == "overrun"));
            var listed = await HubConsole.ListAsync(server, "echo");
            Assert.Equal(10, listed.Count);
            Assert.All(listed, c => Assert.Equal(0, c!["bytesLost"]!.GetValue<long>()));
            Assert.All(listed, c => Assert.Equal(Total, c!["bytesSent"]!.GetValue<long>()));
            Report($"10 consoles x {Total} bytes (MessagePack, {Piece}-byte writes) in {clock.ElapsedMilliseconds} ms; sha256 {expected[..16]}...");
        }
        finally
        {
            foreach (var console in consoles)
            {
                await console.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AConsoleThatNeverAcknowledgesDoesNotSlowTheOthers()
    {
        const int Window = 16 << 10;
        const int Buffer = 64 << 10;
        const int Total = 4 << 20;
        const int Piece = 8 << 10;
        var settings = new Dictionary<string, string?>
        {
            ["CharWeb:Console:WindowBytes"] = Window.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CharWeb:Console:BufferBytes"] = Buffer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var server = await CharWebServer.StartAsync(settings: settings);
        await server.CreateAsync("""{"id": "echo", "backend": {"type": "testdev"}}""");
        var data = RandomBytes(Total, seed: 2);
        var healthy = new List<HubConsole>();
        await using var stalled = await HubConsole.ConnectAsync(server);
        try
        {
            await stalled.AttachAsync("echo", ackEvery: null);
            for (var i = 0; i < 9; i++)
            {
                var console = await HubConsole.ConnectAsync(server);
                healthy.Add(console);
                await console.AttachAsync("echo", ackEvery: 4 << 10);
            }

            await using var keyboard = await HubConsole.ConnectAsync(server);
            var clock = Stopwatch.StartNew();
            // The writer paces itself on the nine healthy consoles only: if the stalled one held them back, this times out.
            await WriteAsync(keyboard, data, Piece, maxInFlight: Buffer / 2, healthy);
            foreach (var console in healthy)
            {
                await console.WaitForReceivedAsync(Total, CharWebServer.Timeout(60));
            }

            clock.Stop();
            var expected = Convert.ToHexString(SHA256.HashData(data));
            Assert.All(healthy, c => Assert.Equal(Total, c.Received));
            Assert.All(healthy, c => Assert.Equal(expected, Convert.ToHexString(c.Hash())));
            Assert.All(healthy, c => Assert.DoesNotContain(c.Events, e => e.Kind == "overrun"));

            var listed = await HubConsole.ListAsync(server, "echo");
            Assert.Equal(10, listed.Count);
            var behind = Assert.Single(listed, c => c!["bytesLost"]!.GetValue<long>() > 0)!;
            Assert.All(listed.Where(c => c != behind), c => Assert.Equal(Total, c!["bytesSent"]!.GetValue<long>()));
            var sent = behind["bytesSent"]!.GetValue<long>();
            var lost = behind["bytesLost"]!.GetValue<long>();
            var queued = behind["queuedBytes"]!.GetValue<long>();
            Assert.Equal(0, behind["bytesAcknowledged"]!.GetValue<long>());
            Assert.True(sent <= Window, $"the stalled console was sent {sent} bytes, past its window of {Window}");
            Assert.True(queued <= Buffer, $"the stalled console has {queued} bytes queued, past its buffer of {Buffer}");
            Assert.Equal(Total, sent + queued + lost);

            var last = await stalled.WaitForEventAsync("overrun", e => e.Number("total") == lost);
            var overrun = stalled.Events.First(e => e.Kind == "overrun");
            Assert.True(overrun.Number("bytes") > 0, $"overrun event without lost bytes: {overrun}");
            var reported = stalled.Events.Where(e => e.Kind == "overrun").Sum(e => e.Number("bytes") ?? 0);
            Assert.Equal(lost, reported);
            await stalled.WaitForReceivedAsync(sent, CharWebServer.Timeout());
            Assert.Equal(sent, stalled.Received);
            Report($"9 healthy consoles x {Total} bytes in {clock.ElapsedMilliseconds} ms (window {Window}, buffer {Buffer}); "
                + $"stalled console: sent {sent}, queued {queued}, lost {lost}, first overrun event bytes {overrun.Number("bytes")}, "
                + $"{stalled.Events.Count(e => e.Kind == "overrun")} overrun events, last total {last.Number("total")}");
        }
        finally
        {
            foreach (var console in healthy)
            {
                await console.DisposeAsync();
            }
        }
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    internal static void Report(string figures) => TestContext.Current.TestOutputHelper?.WriteLine(figures);

    /// <summary>Hub writes of <paramref name="piece"/> bytes, never more than <paramref name="maxInFlight"/> ahead of the slowest reader.</summary>
    private static async Task WriteAsync(HubConsole keyboard, byte[] data, int piece, int maxInFlight, IReadOnlyList<HubConsole> readers)
    {
        for (var offset = 0; offset < data.Length; offset += piece)
        {
            foreach (var reader in readers)
            {
                await reader.WaitForReceivedAsync(offset + piece - maxInFlight, CharWebServer.Timeout());
            }

            var accepted = await keyboard.Connection.InvokeAsync<int>("Write", "echo", data[offset..(offset + piece)], CharWebServer.Timeout());
            Assert.Equal(piece, accepted);
        }
    }
}
