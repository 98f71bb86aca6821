using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CharWeb.Bench;

/// <summary>
/// A raw TCP client, as <c>nc</c> or a terminal program would be: it reads and counts as fast as it can,
/// or, stalled, connects and never reads.
/// </summary>
public sealed class RawTcpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private long _received;
    private long _lastAt;

    private RawTcpClient(Socket socket, bool reads)
    {
        _socket = socket;
        Reads = reads;
        _reading = reads ? ReadAsync(_stop.Token) : Task.CompletedTask;
    }

    public bool Reads { get; }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Stopwatch timestamp of the last byte received.</summary>
    public long LastAt => Interlocked.Read(ref _lastAt);

    public static async Task<RawTcpClient> ConnectAsync(int port, bool reads, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return new RawTcpClient(socket, reads);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        int n;
        while ((n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            Interlocked.Add(ref _received, n);
            Interlocked.Exchange(ref _lastAt, Stopwatch.GetTimestamp());
        }
    }
}
