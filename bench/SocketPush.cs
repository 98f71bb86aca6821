using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench;

/// <summary>What one push gave: each console's figures, and what the server process spent on it.</summary>
public sealed record PushFigures(IReadOnlyList<ConsoleFigures> Consoles, ServerUsage Server)
{
    /// <summary>Bytes delivered to all consoles together.</summary>
    public long Delivered => Consoles.Sum(c => c.Received);

    /// <summary>Server CPU seconds per GB (10^9 bytes) delivered to all consoles together.</summary>
    public double CpuSecondsPerGigabyte => Delivered > 0 ? Server.CpuSeconds / (Delivered / 1e9) : double.NaN;
}

/// <summary>
/// One socket server chardev with consoles attached; a raw TCP peer pushes <c>bytes</c> into it and
/// each console is timed from the first byte sent to the last byte it received. The server is
/// metered over the same stretch (<see cref="ServerMeter"/>), from just before the first byte until
/// every healthy console has accounted for the last.
/// </summary>
public static class SocketPush
{
    public const int ChunkBytes = 64 << 10;

    /// <summary>How long without progress before a console is taken as finished with what it got.</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);

    public static Task<PushFigures> RunAsync(CharWebProcess server, string id, long bytes, IReadOnlyList<bool> acknowledges, CancellationToken cancellationToken) =>
        RunAsync(server, id, bytes, acknowledges, ConsoleWire.Hub, null, cancellationToken);

    /// <summary>The push with consoles on <paramref name="wire"/>; <paramref name="flow"/> is the chardev's <c>flow</c> (null: the server's default, pace).</summary>
    public static Task<PushFigures> RunAsync(CharWebProcess server, string id, long bytes, IReadOnlyList<bool> acknowledges, ConsoleWire wire, string? flow, CancellationToken cancellationToken) =>
        RunAsync(server, server, id, bytes, acknowledges, wire, flow, cancellationToken);

    /// <summary>
    /// The push into a chardev on <paramref name="server"/> (which is metered) with its consoles attached through
    /// <paramref name="consolesVia"/>: the same server, or another node of a cluster that forwards them to it.
    /// </summary>
    public static async Task<PushFigures> RunAsync(
        CharWebProcess server, CharWebProcess consolesVia, string id, long bytes, IReadOnlyList<bool> acknowledges, ConsoleWire wire, string? flow, CancellationToken cancellationToken)
    {
        var port = await server.CreateSocketServerAsync(id, flow, cancellationToken);
        await using var consoles = await ConsoleGroup.AttachAsync(consolesVia, id, acknowledges, wire, cancellationToken);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        var meter = ServerMeter.Start(server);
        var started = Stopwatch.GetTimestamp();
        await SendAsync(peer, bytes, cancellationToken);
        var figures = await consoles.FiguresAsync(bytes, started, cancellationToken);
        return new PushFigures(figures, meter.Stop());
    }

    /// <summary>Writes <paramref name="bytes"/> of a fixed pseudo-random pattern.</summary>
    public static async Task SendAsync(Socket peer, long bytes, CancellationToken cancellationToken)
    {
        var chunk = Pattern();
        for (var left = bytes; left > 0; left -= chunk.Length)
        {
            var n = (int)Math.Min(chunk.Length, left);
            await peer.SendAsync(chunk.AsMemory(0, n), SocketFlags.None, cancellationToken);
        }
    }

    public static byte[] Pattern()
    {
        var chunk = new byte[ChunkBytes];
        new Random(42).NextBytes(chunk);
        return chunk;
    }
}
