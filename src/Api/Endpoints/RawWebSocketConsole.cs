using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CharWeb.Api.Hubs;
using CharWeb.Engine;
using CharWeb.Engine.Consoles;

namespace CharWeb.Api.Endpoints;

/// <summary>
/// One console on a raw WebSocket. Output goes out as binary frames, one send at a time, and each
/// send that completes acknowledges its bytes to the session: the socket's own backpressure is the
/// flow-control window, and a client that stops reading only fills its own session's buffer, which
/// then drops the oldest output and counts it, as for any stalled console. Frames in (binary, or
/// text as its UTF-8 bytes) are input. Input this console may not send is ignored and said so in a
/// text frame (conserver tells a spy the same way, inline); other events go out as text frames of
/// JSON only when the client asked (<c>events=1</c>), so by default the stream is the device's bytes alone.
/// </summary>
internal sealed partial class RawWebSocketConsole(WebSocket socket, Chardev chardev, ConsoleSession session, RawWebSocketConsole.Settings settings, TimeProvider time, ILogger<RawWebSocketConsole> logger)
{
    /// <summary>RFC 6455 close reasons are at most 123 bytes of UTF-8.</summary>
    private const int MaxCloseReasonBytes = 123;

    /// <summary>How long the end may take: output still being sent when it began, then the close handshake.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = logger;
    private readonly Channel<bool> _refusals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _refusedBytes;
    private volatile string _refusedReason = "";

    internal sealed class Settings
    {
        /// <summary>Send events (opened, closed, overrun, writer, ...) as text frames of JSON.</summary>
        public bool Events { get; init; }

        /// <summary>Largest input taken in one read from the socket (and so in one device write).</summary>
        public int ReadBytes { get; init; } = 16 << 10;

        /// <summary>Why this console is read-only, for the refusal; null when it may type.</summary>
        public string? Why { get; init; }

        /// <summary>Input that went to the device, with the bytes it accepted (for the audit).</summary>
        public Action<ReadOnlyMemory<byte>, int> Written { get; init; } = (_, _) => { };
    }

    /// <summary>Runs the console until the client closes or goes, the chardev is removed or the server stops; answers how it ended.</summary>
    public async Task<string> RunAsync(CancellationToken stopping, CancellationToken aborted)
    {
        // Socket operations stop only when the client is gone or the end's grace is over; waiting for output stops sooner.
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(connection.Token, stopping);
        var receiving = ReceiveAsync(connection.Token);
        var sending = SendAsync(waiting.Token, connection.Token);
        await Task.WhenAny(receiving, sending);

        // The end has begun: output still in flight and the close handshake share one grace period.
        using var grace = new CancellationTokenSource(CloseGrace, time);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(connection.Token, grace.Token);
        if (!sending.IsCompleted)
        {
            await waiting.CancelAsync();
            await Settle(sending, closing.Token);
        }

        var (status, description, reason) = Ending(sending, receiving, stopping);
        if (status is { } closeStatus && sending.IsCompleted && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                // Cancelled by the grace, the close aborts the connection: a client that does not read never gets it.
                await socket.CloseOutputAsync(closeStatus, Clip(description), closing.Token);
                // The client's own close frame ends the receive loop.
                await Settle(receiving, closing.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                // The client did not take the close in time, or is gone: the connection is aborted below.
            }
        }

        await connection.CancelAsync();
        await FinishAsync(receiving);
        await FinishAsync(sending);
        LogEnded(chardev.Id, session.RemoteAddress, reason);
        return reason;
    }

    /// <summary>The close to send (none to a client that is gone), and what to say of the end in the log and audit.</summary>
    private (WebSocketCloseStatus? Status, string Description, string Reason) Ending(Task<string?> sending, Task<WebSocketCloseStatus?> receiving, CancellationToken stopping)
    {
        if (sending.IsCompletedSuccessfully)
        {
            var ended = sending.Result == "removed" ? $"chardev '{chardev.Id}' was removed" : $"console {sending.Result ?? "ended"}";
            return (sending.Result == "removed" ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure, ended, ended);
        }

        if (stopping.IsCancellationRequested)
        {
            return (WebSocketCloseStatus.EndpointUnavailable, "the server is shutting down", "the server is shutting down");
        }

        if (receiving.IsCompletedSuccessfully)
        {
            return (WebSocketCloseStatus.NormalClosure, "", $"closed by the client ({(int?)receiving.Result ?? 1005})");
        }

        var cause = receiving.Exception?.GetBaseException() ?? sending.Exception?.GetBaseException();
        return (null, "", $"connection lost ({cause?.Message ?? "aborted"})");
    }

    /// <summary>Input from the client: into the device if this console may type, else ignored and told.</summary>
    private async Task<WebSocketCloseStatus?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[settings.ReadBytes];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return socket.CloseStatus;
            }

            if (result.Count > 0)
            {
                await InputAsync(buffer.AsMemory(0, result.Count), cancellationToken);
            }
        }
    }

    private async Task InputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (settings.Why is { } why)
        {
            Refuse($"this console is read-only ({why}): its input is ignored", data.Length);
            return;
        }

        if (!session.MayWrite)
        {
            var holder = chardev.Writer;
            Refuse($"this console is a spy: {(holder is null ? "nobody" : $"'{holder}'")} holds the writer seat of '{chardev.Id}'; its input is ignored until the seat passes to it", data.Length);
            return;
        }

        try
        {
            settings.Written(data, await session.WriteAsync(data, cancellationToken));
        }
        catch (ChardevException ex)
        {
            // The seat moved away, or the chardev went, between the check and the write.
            Refuse(ex.Message, data.Length);
        }
    }

    /// <summary>Counts refused input and wakes the send loop, which tells the client once for all refused since it last did.</summary>
    private void Refuse(string reason, int bytes)
    {
        _refusedReason = reason;
        Interlocked.Add(ref _refusedBytes, bytes);
        _refusals.Writer.TryWrite(true);
    }

    /// <summary>The one loop that sends: output, refusals and (if asked) events, in the order they come.</summary>
    private async Task<string?> SendAsync(CancellationToken waiting, CancellationToken cancellationToken)
    {
        Task<ConsoleChunk?>? next = null;
        Task<bool>? refused = null;
        var sent = 0L;
        while (true)
        {
            waiting.ThrowIfCancellationRequested();
            if (_refusals.Reader.TryRead(out _))
            {
                await SendRefusalAsync(cancellationToken);
            }

            next ??= session.ReadAsync(waiting).AsTask();
            if (!next.IsCompleted)
            {
                // Kept across turns: a fresh wait each turn would pile up waiters on the channel.
                refused ??= _refusals.Reader.WaitToReadAsync(waiting).AsTask();
                await Task.WhenAny(next, refused);
                if (refused.IsCompleted)
                {
                    await refused;
                    refused = null;
                    continue;
                }
            }

            var item = await next;
            next = null;
            if (item is not { } chunk)
            {
                return session.EndReason;
            }

            if (chunk.Event is { } e)
            {
                if (settings.Events)
                {
                    await SendJsonAsync(HubWire.Event(e), cancellationToken);
                }

                continue;
            }

            await socket.SendAsync(chunk.Data, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            sent += chunk.Data.Length;
            session.Acknowledge(sent);
        }
    }

    private async Task SendRefusalAsync(CancellationToken cancellationToken)
    {
        var bytes = Interlocked.Exchange(ref _refusedBytes, 0);
        if (bytes == 0)
        {
            return;
        }

        await SendJsonAsync(
            new Dictionary<string, object?>
            {
                ["kind"] = "refused",
                ["time"] = time.GetUtcNow().ToString("O"),
                ["reason"] = _refusedReason,
                ["bytes"] = bytes,
            },
            cancellationToken);
    }

    private Task SendJsonAsync(Dictionary<string, object?> message, CancellationToken cancellationToken) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>Waits for a loop to end, or for <paramref name="cancellationToken"/>; how it ended is read from the task later.</summary>
    private static async Task Settle(Task loop, CancellationToken cancellationToken) =>
        await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>Waits for a loop to end; a client that went or a cancelled wait is how sockets end, anything else is logged.</summary>
    private async Task FinishAsync(Task loop)
    {
        try
        {
            await loop;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went, or the loop was stopped: an ordinary end.
        }
        catch (Exception ex)
        {
            LogFailed(chardev.Id, session.RemoteAddress, ex);
        }
    }

    private static string Clip(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= MaxCloseReasonBytes)
        {
            return reason;
        }

        var length = reason.Length;
        while (Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > MaxCloseReasonBytes - 3 || char.IsHighSurrogate(reason[length - 1]))
        {
            length--;
        }

        return reason[..length] + "...";
    }
}
