using System.Net.Sockets;
using System.Net.WebSockets;

namespace CharWeb.Engine.Backends;

/// <summary>
/// A socket server's peer after its upgrade (QEMU <c>websocket=on</c>): the payload of its binary frames is the
/// device's output, and each write into the device goes to it as one binary frame. The BCL's WebSocket answers
/// pings while a read waits; a close frame is answered and ends the connection as a hang-up does; a text frame is
/// refused with 1003 and ends it, as QEMU refuses every data frame that is not binary.
/// </summary>
internal sealed class WebSocketPeer : IDisposable
{
    /// <summary>How long a refusal waits for the peer's own close frame before the connection is dropped.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly TimeProvider _time;

    // The WebSocket takes one send at a time: device input and the close of a refusal take turns.
    private readonly SemaphoreSlim _send = new(1, 1);

    private WebSocketPeer(WebSocket socket, TimeProvider time)
    {
        _socket = socket;
        _time = time;
    }

    /// <summary>Why the peer's side ended, once <see cref="ReceiveAsync"/> has answered 0.</summary>
    public string Ended { get; private set; } = "";

    /// <summary>
    /// Runs the opening handshake on <paramref name="peer"/>: the peer, upgraded, or null and why it was
    /// refused (already answered with an HTTP error).
    /// </summary>
    public static async Task<(WebSocketPeer? Peer, string Refusal)> AcceptAsync(Socket peer, TimeProvider time, CancellationToken cancellationToken)
    {
        var answer = await WebSocketHandshake.AcceptAsync(peer, time, cancellationToken);
        if (!answer.Upgraded)
        {
            return (null, $"WebSocket handshake refused with {answer.Status} {answer.Title}: {answer.Reason}");
        }

        // No keep-alive of our own, as QEMU sends none; the peer's pings are answered.
        var socket = WebSocket.CreateFromStream(
            new NetworkStream(peer, ownsSocket: false),
            new WebSocketCreationOptions { IsServer = true, SubProtocol = answer.Protocol, KeepAliveInterval = TimeSpan.Zero });
        return (new WebSocketPeer(socket, time), "");
    }

    /// <summary>Reads the payload of the peer's next binary frame (or part of it) into <paramref name="buffer"/>; 0 once the peer's side has ended.</summary>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await _socket.ReceiveAsync(buffer, cancellationToken);
            switch (frame.MessageType)
            {
                case WebSocketMessageType.Binary when frame.Count > 0:
                    return frame.Count;
                case WebSocketMessageType.Binary:
                    continue;
                case WebSocketMessageType.Close:
                    // QEMU echoes the peer's status, or says 1000 "peer requested close" when it gave none.
                    if (_socket.CloseStatus is { } status && status != WebSocketCloseStatus.Empty)
                    {
                        Ended = $"peer closed the WebSocket with {(int)status} {_socket.CloseStatusDescription}".TrimEnd();
                        await CloseAsync(status, _socket.CloseStatusDescription, cancellationToken);
                    }
                    else
                    {
                        Ended = "peer closed the WebSocket";
                        await CloseAsync(WebSocketCloseStatus.NormalClosure, "peer requested close", cancellationToken);
                    }

                    return 0;
                default:
                    Ended = "peer sent a text frame: only binary, close, ping and pong frames are supported, as in QEMU";
                    await CloseAsync(WebSocketCloseStatus.InvalidMessageType, "only binary, close, ping, and pong frames are supported", cancellationToken);
                    return 0;
            }
        }
    }

    /// <summary>Device input: one binary frame. A write cancelled half way aborts the WebSocket (its framing is lost).</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _send.Release();
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Sends our close frame and, if the peer has not sent its own, waits a little for it; a peer already gone is no matter.</summary>
    private async Task CloseAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(CloseTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _send.WaitAsync(linked.Token);
            try
            {
                await (_socket.State == WebSocketState.CloseReceived
                    ? _socket.CloseOutputAsync(status, description, linked.Token)
                    : _socket.CloseAsync(status, description, linked.Token));
            }
            finally
            {
                _send.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection ends either way; the reason the caller records is why it ended, not how the close went.
        }
    }
}
