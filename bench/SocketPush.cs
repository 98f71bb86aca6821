using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench;

/// <summary>
/// One socket server chardev with consoles attached; a raw TCP peer pushes <c>bytes</c> into it and
/// each console is timed from the first byte sent to the last byte it received.
/// </summary>
public static class SocketPush
{
    public const int ChunkBytes = 64 << 10;

    /// <summary>How long without progress before a console is taken as finished with what it got.</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);

    public static async Task<IReadOnlyList<ConsoleFigures>> RunAsync(CharWebProcess server, string id, long bytes, IReadOnlyList<bool> acknowledges, CancellationToken cancellationToken)
    {
        var port = await server.CreateSocketServerAsync(id, cancellationToken);
        await using var consoles = await ConsoleGroup.AttachAsync(server, id, acknowledges, cancellationToken);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await peer.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await SendAsync(peer, bytes, cancellationToken);
        return await consoles.FiguresAsync(bytes, started, cancellationToken);
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
