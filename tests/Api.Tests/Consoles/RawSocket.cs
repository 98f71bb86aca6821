using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests.Consoles;

/// <summary>
/// A client of <c>/ws/chardevs/{id}</c> as a tool would be one: a plain <see cref="ClientWebSocket"/>
/// whose binary frames are the device's output and whose text frames are JSON notices.
/// </summary>
internal sealed class RawSocket : IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly MemoryStream _output = new();
    private readonly List<JsonObject> _notices = [];
    private long _received;

    private RawSocket(ClientWebSocket socket, HttpMessageInvoker invoker, int localPort)
    {
        Socket = socket;
        _invoker = invoker;
        LocalPort = localPort;
    }

    public ClientWebSocket Socket { get; }

    /// <summary>This client's port, as the server lists the console (<c>remoteAddress</c>).</summary>
    public int LocalPort { get; }

    /// <summary>The close the server sent, once one came.</summary>
    public (WebSocketCloseStatus? Status, string? Description)? Closed { get; private set; }

    /// <summary>Output bytes received so far (safe to read while another task receives).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Text frames received so far, in order.</summary>
    public IReadOnlyList<JsonObject> Notices => _notices;

    public static Uri Url(CharWebServer server, string id, string? query = null) =>
        new UriBuilder(server.BaseAddress) { Scheme = "ws", Path = $"/ws/chardevs/{id}", Query = query ?? "" }.Uri;

    /// <summary>
    /// Connects; a refused upgrade throws <see cref="WebSocketException"/> (<see cref="RefusedAsync"/> answers its status).
    /// <paramref name="receiveBuffer"/> fixes the client's kernel receive buffer, so a client that stops reading stalls at once.
    /// </summary>
    public static async Task<RawSocket> ConnectAsync(CharWebServer server, string id, string? query = null, string? bearer = null, string? origin = null, int? receiveBuffer = null)
    {
        var (socket, invoker, port) = Prepare(bearer, origin, receiveBuffer);
        try
        {
            await socket.ConnectAsync(Url(server, id, query), invoker, CharWebServer.Timeout());
        }
        catch
        {
            socket.Dispose();
            invoker.Dispose();
            throw;
        }

        return new RawSocket(socket, invoker, port.Value);
    }

    /// <summary>Connects expecting a refusal before the upgrade; answers the HTTP status the server gave.</summary>
    public static async Task<HttpStatusCode> RefusedAsync(CharWebServer server, string id, string? query = null, string? bearer = null, string? origin = null)
    {
        var (socket, invoker, _) = Prepare(bearer, origin, receiveBuffer: null);
        using (socket)
        using (invoker)
        {
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Url(server, id, query), invoker, CharWebServer.Timeout()));
            return socket.HttpStatusCode;
        }
    }

    private static (ClientWebSocket Socket, HttpMessageInvoker Invoker, StrongBox<int> Port) Prepare(string? bearer, string? origin, int? receiveBuffer)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        var port = new StrongBox<int>();
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (receiveBuffer is { } size)
                {
                    tcp.ReceiveBufferSize = size;
                }

                try
                {
                    await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                }
                catch
                {
                    tcp.Dispose();
                    throw;
                }

                port.Value = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                return new NetworkStream(tcp, ownsSocket: true);
            },
        };
        return (socket, new HttpMessageInvoker(handler), port);
    }

    public async Task SendAsync(byte[] data, WebSocketMessageType type = WebSocketMessageType.Binary) =>
        await Socket.SendAsync(data, type, endOfMessage: true, CharWebServer.Timeout());

    /// <summary>Receives until <paramref name="count"/> output bytes have come in all; answers all output so far.</summary>
    public async Task<byte[]> ReceiveOutputAsync(long count, int seconds = 30)
    {
        var timeout = CharWebServer.Timeout(seconds);
        while (_output.Length < count)
        {
            if (!await ReceiveFrameAsync(timeout))
            {
                Assert.Fail($"the socket was closed ({Closed}) after {_output.Length} of {count} output bytes");
            }
        }

        return _output.ToArray();
    }

    /// <summary>Receives until a notice of <paramref name="kind"/> (that <paramref name="match"/> accepts) comes; output that comes first is kept.</summary>
    public async Task<JsonObject> ReceiveNoticeAsync(string kind, Func<JsonObject, bool>? match = null, int seconds = 30)
    {
        var timeout = CharWebServer.Timeout(seconds);
        var seen = 0;
        while (true)
        {
            for (; seen < _notices.Count; seen++)
            {
                if (_notices[seen]["kind"]?.GetValue<string>() == kind && (match is null || match(_notices[seen])))
                {
                    return _notices[seen];
                }
            }

            if (!await ReceiveFrameAsync(timeout))
            {
                Assert.Fail($"the socket was closed ({Closed}) before a '{kind}' notice; notices: {string.Join(", ", _notices)}");
            }
        }
    }

    /// <summary>Receives until the server closes; answers the close it sent, and answers it in turn.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync(int seconds = 30)
    {
        var timeout = CharWebServer.Timeout(seconds);
        while (await ReceiveFrameAsync(timeout))
        {
        }

        return Closed!.Value;
    }

    /// <summary>Output received so far.</summary>
    public byte[] Output() => _output.ToArray();

    /// <summary>Closes from the client's side and waits for the server's answer.</summary>
    public async Task CloseAsync()
    {
        await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CharWebServer.Timeout());
    }

    public void Dispose()
    {
        Socket.Dispose();
        _invoker.Dispose();
        _output.Dispose();
    }

    /// <summary>One whole message; false once the server has closed (its close answered).</summary>
    private async Task<bool> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                Closed = (result.CloseStatus, result.CloseStatusDescription);
                if (Socket.State == WebSocketState.CloseReceived)
                {
                    await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                }

                return false;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            if (result.MessageType == WebSocketMessageType.Binary)
            {
                message.Position = 0;
                message.CopyTo(_output);
                Interlocked.Add(ref _received, message.Length);
            }
            else
            {
                _notices.Add(JsonNode.Parse(message.ToArray())!.AsObject());
            }

            return true;
        }
    }
}
