using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench;

/// <summary>
/// The throughput baseline: socat relaying N MB from a unix socket to TCP (<c>socat UNIX-LISTEN:path
/// TCP:127.0.0.1:sink</c>, its default 8 KiB buffer) between a .NET unix writer and a .NET TCP sink,
/// first byte sent → last byte received.
/// </summary>
public static class SocatRelay
{
    /// <summary>MB/s of socat relaying <paramref name="bytes"/> from a unix socket to a TCP sink.</summary>
    public static async Task<double> MegabytesPerSecondAsync(long bytes, CancellationToken cancellationToken)
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
