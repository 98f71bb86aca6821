using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench.Scenarios;

/// <summary>
/// socket chardev → 1 MessagePack console that acks, N MB from a raw TCP peer; baseline: socat relaying
/// the same N MB unix→tcp (<c>socat UNIX-LISTEN:path TCP:127.0.0.1:sink</c>, socat's default 8 KiB
/// buffer) between a .NET unix writer and a .NET TCP sink, in the same run. Two more rows say where the
/// time goes: the device side alone (the same push with no console, every byte counted and dropped),
/// and the console path with nothing lost (a server whose console buffer and window are 256 MiB, so
/// the device is never ahead of what the console may queue).
/// </summary>
public sealed class SocketThroughput : IScenario
{
    private const int LosslessBufferBytes = 256 << 20;

    public string Name => "socket-throughput";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var bytes = context.Options.Megabytes * 1_000_000L;
        var socat = await SocatAsync(bytes, cancellationToken);

        double deviceOnly;
        ConsoleFigures console;
        await using (var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken))
        {
            await Warmup.RunAsync(context.Options, round => SocketPush.RunAsync(server, $"warmup{round}", Math.Min(bytes, Warmup.PushBytes), [true], cancellationToken));
            console = (await SocketPush.RunAsync(server, "s", bytes, [true], cancellationToken))[0];
            deviceOnly = await DeviceOnlyAsync(server, bytes, cancellationToken);
        }

        var losslessBytes = Math.Min(bytes, LosslessBufferBytes * 3 / 4);
        var settings = new Dictionary<string, string>
        {
            ["CharWeb__Console__BufferBytes"] = $"{LosslessBufferBytes}",
            ["CharWeb__Console__WindowBytes"] = $"{LosslessBufferBytes}",
        };
        ConsoleFigures lossless;
        await using (var server = await CharWebProcess.StartAsync(context.AppDir, cancellationToken, settings))
        {
            await Warmup.RunAsync(context.Options, round => SocketPush.RunAsync(server, $"warmup{round}", Math.Min(bytes, Warmup.PushBytes), [true], cancellationToken));
            lossless = (await SocketPush.RunAsync(server, "s", losslessBytes, [true], cancellationToken))[0];
        }

        var ratio = console.MegabytesPerSecond / socat;
        return
        [
            new(Name, $"1 console, {context.Options.Megabytes} MB, delivered", console.MegabytesPerSecond, "MB/s", socat, "socat unix→tcp", "≥ 0.8x socat", ratio >= 0.8),
            new(Name, "bytes the console lost", console.Lost / 1e6, "MB", bytes / 1e6, "sent", "informational", null),
            new(Name, "device side alone (no console, all dropped)", deviceOnly, "MB/s", socat, "socat unix→tcp", "informational", null),
            new(Name, $"1 console, {losslessBytes / 1_000_000} MB, nothing lost (buffer and window 256 MiB)", lossless.MegabytesPerSecond, "MB/s", socat, "socat unix→tcp", "informational", lossless.Lost == 0 ? null : false),
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

    /// <summary>MB/s of socat relaying <paramref name="bytes"/> from a unix socket to a TCP sink.</summary>
    private static async Task<double> SocatAsync(long bytes, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("charweb-bench-socat-").FullName;
        var path = Path.Combine(folder, "relay.sock");
        using var sink = new TcpListener(IPAddress.Loopback, 0);
        sink.Start();
        var start = new ProcessStartInfo("socat") { RedirectStandardError = true };
        start.ArgumentList.Add($"UNIX-LISTEN:{path}");
        start.ArgumentList.Add($"TCP:127.0.0.1:{((IPEndPoint)sink.LocalEndpoint).Port}");
        using var socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start (apt-get install socat)");
        try
        {
            var received = SinkAsync(sink, bytes, cancellationToken);
            using var writer = await ConnectUnixAsync(path, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            await SocketPush.SendAsync(writer, bytes, cancellationToken);
            var (count, lastAt) = await received;
            if (count < bytes)
            {
                throw new InvalidOperationException($"the socat sink got {count} of {bytes} bytes");
            }

            return count / 1e6 / Stopwatch.GetElapsedTime(started, lastAt).TotalSeconds;
        }
        finally
        {
            if (!socat.HasExited)
            {
                socat.Kill();
            }

            await socat.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(long Count, long LastAt)> SinkAsync(TcpListener listener, long bytes, CancellationToken cancellationToken)
    {
        using var peer = await listener.AcceptSocketAsync(cancellationToken);
        var buffer = new byte[SocketPush.ChunkBytes];
        var count = 0L;
        var lastAt = 0L;
        while (count < bytes)
        {
            var n = await peer.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                break;
            }

            count += n;
            lastAt = Stopwatch.GetTimestamp();
        }

        return (count, lastAt);
    }

    /// <summary>socat creates its socket file only once it listens; retry until it answers.</summary>
    private static async Task<Socket> ConnectUnixAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 10);
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return socket;
            }
            catch (SocketException)
            {
                socket.Dispose();
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw;
                }

                await Task.Delay(20, cancellationToken);
            }
        }
    }
}
