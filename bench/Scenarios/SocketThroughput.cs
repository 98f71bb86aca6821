using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// socket chardev (the default <c>flow: pace</c>) → 1 MessagePack console that acks, N MB from a raw
/// TCP peer; baseline: socat relaying the same N MB unix→tcp (<see cref="SocatRelay"/>), in the same
/// run. Paced, the console must lose nothing; the server's RSS must stay within twice the console
/// buffer it holds. Two informational rows say where the time goes: the same push under
/// <c>flow: drop</c> (the device read flat out, the console losing what it cannot take), and the
/// device side alone (no console, every byte counted and dropped).
/// </summary>
public sealed class SocketThroughput : IScenario
{
    public string Name => "socket-throughput";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.Megabytes * 1_000_000L;
        var socat = await SocatRelay.MegabytesPerSecondAsync(bytes, cancellationToken);

        await using var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, ThroughputRows.Settings);
        await Warmup.SocketPushesAsync(context.Options, server, bytes, ConsoleWire.Hub, cancellationToken);
        var paced = await SocketPush.RunAsync(server, "paced", bytes, [true], cancellationToken);
        var drop = (await SocketPush.RunAsync(server, "drop", bytes, [true], ConsoleWire.Hub, "drop", cancellationToken)).Consoles[0];
        var deviceOnly = await DeviceOnlyAsync(server, bytes, cancellationToken);

        return
        [
            .. ThroughputRows.Rows(Name, "1 console (hub, MessagePack, flow: pace)", paced, bytes, socat, 0.5),
            new(Name, $"flow: drop, 1 console, delivered ({drop.Lost / 1e6:0} MB lost)", drop.MegabytesPerSecond, "MB/s", socat, "socat unix→tcp", "informational", null),
            new(Name, "device side alone (no console, all dropped)", deviceOnly, "MB/s", socat, "socat unix→tcp", "informational", null),
        ];
    }

    /// <summary>MB/s of the socket chardev reading <paramref name="bytes"/> with no console: first byte sent until its output counter has them all.</summary>
    private static async Task<double> DeviceOnlyAsync(CharWebProcess server, long bytes, CancellationToken cancellationToken)
    {
        var port = await server.CreateSocketServerAsync("alone", cancellationToken);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await SocketPush.SendAsync(peer, bytes, cancellationToken);

        // What is still in the socket buffers when the send returns is read within milliseconds; poll the counter for it, often.
        var chardev = await server.WaitOutputAsync("alone", bytes, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(2), cancellationToken);
        if (CharWebProcess.Stat(chardev, "outputBytes") < bytes)
        {
            throw new InvalidOperationException("the socket chardev did not count every byte within 60 s");
        }

        return bytes / 1e6 / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
