using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace CharWeb.Bench;

/// <summary>
/// The TCP peer of a socket chardev, playing a program that echoes what is typed and, once asked,
/// prints flat out as <c>yes</c> does: one loop sends, in 4 KiB writes of "y\n", and puts each byte
/// read from the socket into the stream as soon as the write in progress returns, so an echo waits
/// behind the flood only as a terminal's would. It notes when each typed byte arrived (the input
/// side alone). Typed bytes must be neither 'y' nor '\n', so a console can tell an echo in the flood.
/// </summary>
public sealed class FloodingEcho : IAsyncDisposable
{
    private const int FloodBytes = 4096;

    private readonly Socket _socket;
    private readonly Channel<byte> _typed = Channel.CreateUnbounded<byte>();
    private readonly Channel<long> _arrivals = Channel.CreateUnbounded<long>();
    private readonly TaskCompletionSource _flood = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sending;
    private readonly Task _receiving;
    private long _flooded;

    private FloodingEcho(Socket socket)
    {
        _socket = socket;
        _receiving = ReceiveAsync(_stop.Token);
        _sending = SendAsync(_stop.Token);
    }

    /// <summary>Stopwatch timestamps of each typed byte as the peer read it.</summary>
    public ChannelReader<long> Arrivals => _arrivals.Reader;

    /// <summary>The peer's own port, the local end of its connection to the chardev.</summary>
    public int LocalPort => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Flood bytes written so far.</summary>
    public long Flooded => Interlocked.Read(ref _flooded);

    /// <summary>Whether a chunk of output holds anything but the flood (an echo).</summary>
    public static bool HoldsEcho(byte[] chunk) => chunk.AsSpan().IndexOfAnyExcept((byte)'y', (byte)'\n') >= 0;

    public static async Task<FloodingEcho> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return new FloodingEcho(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void StartFlood() => _flood.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        try
        {
            int n;
            while ((n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
            {
                var at = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    _arrivals.Writer.TryWrite(at);
                    _typed.Writer.TryWrite(buffer[i]);
                }
            }

            _arrivals.Writer.TryComplete();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A round waiting on the arrivals fails with the reason instead of its timeout.
            _arrivals.Writer.TryComplete(ex);
        }
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        var flood = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("y\n", FloodBytes / 2)));
        var echo = new byte[1];
        while (true)
        {
            if (_typed.Reader.TryRead(out var typed))
            {
                echo[0] = typed;
                await _socket.SendAsync(echo, SocketFlags.None, cancellationToken);
            }
            else if (_flood.Task.IsCompleted)
            {
                Interlocked.Add(ref _flooded, await _socket.SendAsync(flood, SocketFlags.None, cancellationToken));
            }
            else
            {
                await Task.WhenAny(_typed.Reader.WaitToReadAsync(cancellationToken).AsTask(), _flood.Task).WaitAsync(cancellationToken);
            }
        }
    }
}
