using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace CharWeb.Bench;

/// <summary>
/// A console on the raw WebSocket, <c>GET /ws/chardevs/{id}?events=1</c>, as a tool speaking plain
/// RFC 6455 would run one with <see cref="ClientWebSocket"/>: binary frames are output, counted as
/// fast as they come (the server takes each completed send as acknowledged, so reading is the flow
/// control); text frames are JSON events, of which <c>overrun</c> says how much it lost. A stalled
/// one never reads.
/// </summary>
public sealed class WebSocketConsole : IBenchConsole
{
    /// <summary>The server sends output items of up to 64 KiB, one frame each.</summary>
    private const int ReceiveBytes = 64 << 10;

    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _progress = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task _reading;
    private long _received;
    private long _lost;
    private long _lastAt;

    private WebSocketConsole(ClientWebSocket socket, bool reads)
    {
        _socket = socket;
        Acknowledges = reads;
        _reading = reads ? ReadAsync(_stop.Token) : Task.CompletedTask;
    }

    public bool Acknowledges { get; }

    public long Received => Interlocked.Read(ref _received);

    public long Lost => Interlocked.Read(ref _lost);

    public long LastAt => Interlocked.Read(ref _lastAt);

    /// <summary>Connects; the server attaches the console before it answers the upgrade, so it is counted once this returns.</summary>
    public static async Task<WebSocketConsole> ConnectAsync(CharWebProcess server, string id, bool reads, CancellationToken cancellationToken)
    {
        var url = new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = $"/ws/chardevs/{id}", Query = "events=1" }.Uri;
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(url, cancellationToken);
            return new WebSocketConsole(socket, reads);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task<bool> WaitForAsync(long total, TimeSpan idle, CancellationToken cancellationToken)
    {
        while (Received + Lost < total)
        {
            if (_reading.IsCompleted)
            {
                await _reading;
                return false;
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(idle);
            try
            {
                await _progress.Reader.WaitToReadAsync(quiet.Token);
                _progress.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[ReceiveBytes];
        using var text = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Interlocked.Add(ref _received, result.Count);
                    Interlocked.Exchange(ref _lastAt, Stopwatch.GetTimestamp());
                }
                else
                {
                    text.Write(buffer, 0, result.Count);
                    if (result.EndOfMessage)
                    {
                        OnEvent(text.ToArray());
                        text.SetLength(0);
                    }
                }

                _progress.Writer.TryWrite(true);
            }
        }
        finally
        {
            _progress.Writer.TryWrite(true);
        }
    }

    private void OnEvent(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.GetProperty("kind").GetString() == "overrun" && root.TryGetProperty("total", out var total))
        {
            Interlocked.Exchange(ref _lost, total.GetInt64());
        }
    }
}
