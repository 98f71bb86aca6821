using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-socket.c</c>: a TCP or Unix socket. A server takes one peer at a time (others wait
/// in the backlog) and is <c>listening</c> between peers; a client fails at creation unless it has
/// <c>reconnectMs</c>, with which it stays <c>connecting</c> and retries. A <c>websocket</c> server's peer
/// upgrades first (<see cref="WebSocketPeer"/>). Reads are async socket reads: no thread waits on a peer.
/// </summary>
public sealed partial class SocketBackend : ChardevBackend
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly SocketBackendOptions _options;
    private readonly SocketAddressOptions _addr;
    private readonly UnixSocketFile? _unixFile;
    private readonly TimeProvider _time;
    private readonly DestinationPolicy _destinations;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Socket? _listener;
    private Socket? _peer;
    private WebSocketPeer? _webPeer;
    private Task _loop = Task.CompletedTask;
    private string _filename;
    private int _boundPort;

    private SocketBackend(SocketBackendOptions options, BackendContext context)
    {
        _options = options;
        _addr = options.Addr!;
        _unixFile = _addr.Type == "unix" ? new UnixSocketFile(context.Paths.FullPath(_addr.Path!), context.Paths) : null;
        _time = context.Time;
        _destinations = context.Destinations;
        _logger = context.Loggers.CreateLogger<SocketBackend>();
        _boundPort = _addr.Port ?? 0;
        _filename = "disconnected:" + Describe();
    }

    public static BackendKind Kind { get; } = BackendKind.Create<SocketBackendOptions>(
        "TCP or Unix socket, server (one peer at a time) or client (optionally reconnecting), with optional telnet or (server) WebSocket.",
        Validate,
        (o, c) => new SocketBackend(o, c),
        Claims,
        FromQapi).Paced();

    public override string Filename => _filename;

    public override async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        if (_options.Server)
        {
            _listener = _unixFile is not null ? _unixFile.Listen(backlog: 1) : Listen(await ListenEndPointAsync(cancellationToken));
            SetListening();
            _loop = AcceptLoopAsync(_stop.Token);
            return;
        }

        try
        {
            var peer = await ConnectAsync(await PeerEndPointAsync(cancellationToken), cancellationToken);
            _loop = ClientLoopAsync(peer, _stop.Token);
        }
        catch (SocketException ex) when (_options.ReconnectMs is > 0)
        {
            SetState(ChardevState.Connecting, $"{Describe()}: {ex.Message}");
            _loop = ClientLoopAsync(null, _stop.Token);
        }
    }

    public override async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Socket? peer;
        WebSocketPeer? webPeer;
        lock (_lock)
        {
            (peer, webPeer) = (_peer, _webPeer);
        }

        if (peer is null)
        {
            return 0;
        }

        try
        {
            if (webPeer is not null)
            {
                await webPeer.SendAsync(data, cancellationToken);
                return data.Length;
            }

            var wire = _options.Telnet ? TelnetFilter.Escape(data) : data;
            while (!wire.IsEmpty)
            {
                wire = wire[await peer.SendAsync(wire, SocketFlags.None, cancellationToken)..];
            }

            return data.Length;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or WebSocketException)
        {
            throw new IOException($"{Describe()}: {ex.Message}", ex);
        }
    }

    public override async ValueTask<bool> SendBreakAsync(CancellationToken cancellationToken)
    {
        if (!_options.Telnet || _peer is not { } peer)
        {
            return false;
        }

        await peer.SendAsync(new byte[] { TelnetFilter.Iac, TelnetFilter.Break }, SocketFlags.None, cancellationToken);
        return true;
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Dispose();
        lock (_lock)
        {
            _peer?.Dispose();
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _unixFile?.Dispose();

        _stop.Dispose();
        await base.DisposeAsync();
    }

    private async Task<IPEndPoint> ListenEndPointAsync(CancellationToken cancellationToken) =>
        new((await HostAddresses.ResolveAsync(_addr.Host!, cancellationToken))[0], _addr.Port ?? 0);

    /// <summary>A client's peer, resolved and judged afresh at every connect: a name rebound since creation gets no further.</summary>
    private async Task<EndPoint> PeerEndPointAsync(CancellationToken cancellationToken) =>
        _unixFile is not null
            ? _unixFile.PeerEndPoint()
            : await _destinations.ResolveAsync(_addr.Host!, _addr.Port!.Value, cancellationToken);

    private Socket Listen(IPEndPoint endpoint)
    {
        var listener = NewSocket(endpoint);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endpoint);
            listener.Listen(1);
            if (listener.LocalEndPoint is IPEndPoint bound)
            {
                _boundPort = bound.Port;
            }

            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener!.AcceptAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                SetState(ChardevState.Failed, $"accept on {Describe()}: {ex.Message}");
                return;
            }

            var reason = await ServeAsync(peer, cancellationToken);
            if (!cancellationToken.IsCancellationRequested)
            {
                SetListening(reason);
            }
        }
    }

    private async Task ClientLoopAsync(Socket? connected, CancellationToken cancellationToken)
    {
        var peer = connected;
        var refused = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (peer is null)
            {
                try
                {
                    peer = await ConnectAsync(await PeerEndPointAsync(cancellationToken), cancellationToken);
                    refused = false;
                }
                catch (Exception ex) when (ex is SocketException or TimeoutException)
                {
                    SetState(ChardevState.Connecting, $"{Describe()}: {ex.Message}");
                    refused = false;
                }
                catch (DestinationRefusedException ex)
                {
                    // Not dialled; retried like a refused connection, as the name may be pointed back.
                    // Logged once per run of refusals: a name that now points elsewhere is worth an operator's look.
                    if (!refused)
                    {
                        LogDestinationRefused(Describe(), ex.Message);
                    }

                    refused = true;
                    SetState(ChardevState.Connecting, ex.Message);
                }
                catch (ChardevException ex)
                {
                    // The policy refuses this peer now (a link planted on the way, say): stop trying.
                    SetState(ChardevState.Failed, ex.Message);
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (peer is not null)
            {
                var reason = await ServeAsync(peer, cancellationToken);
                peer = null;
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                _filename = "disconnected:" + Describe();
                if (_options.ReconnectMs is not > 0)
                {
                    SetState(ChardevState.Closed, reason);
                    return;
                }

                SetState(ChardevState.Connecting, reason);
            }

            // QEMU's reconnect timer: wait, then try the peer again.
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_options.ReconnectMs!.Value), _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<Socket> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = NewSocket(endpoint);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One connection, until the peer goes: answers why it ended.</summary>
    private async Task<string> ServeAsync(Socket peer, CancellationToken cancellationToken)
    {
        if (peer.AddressFamily != AddressFamily.Unix)
        {
            peer.NoDelay = _options.Nodelay;
        }

        WebSocketPeer? webPeer = null;
        var telnet = _options.Telnet ? new TelnetFilter() : null;
        try
        {
            if (_options.Websocket)
            {
                (webPeer, var refused) = await WebSocketPeer.AcceptAsync(peer, _time, cancellationToken);
                if (webPeer is null)
                {
                    // Never the device side: no opened or closed, only the chardev's last error and the log say so.
                    LogWebSocketRefused(Describe(), Remote(peer), refused);
                    return $"{refused} (from {Remote(peer)})";
                }
            }

            lock (_lock)
            {
                (_peer, _webPeer) = (peer, webPeer);
            }

            _filename = Connected(peer);
            SetState(ChardevState.Open);
            if (telnet is not null)
            {
                await peer.SendAsync(TelnetFilter.Negotiation, SocketFlags.None, cancellationToken);
            }

            var buffer = GC.AllocateUninitializedArray<byte>(ReadBytes);
            while (true)
            {
                await WaitForRoomAsync(cancellationToken);
                var n = webPeer is null ? await peer.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) : await webPeer.ReceiveAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return webPeer?.Ended ?? "peer closed the connection";
                }

                var length = n;
                if (telnet is not null)
                {
                    (length, var breaks) = telnet.Strip(buffer.AsSpan(0, n));
                    for (var i = 0; i < breaks; i++)
                    {
                        ReceivedBreak();
                    }
                }

                if (length < buffer.Length)
                {
                    Output(buffer.AsSpan(0, length));
                }
                else if (GiveOutput(buffer))
                {
                    // A full read went to the consoles as it is, with no copy: the next read needs a buffer of its own.
                    buffer = GC.AllocateUninitializedArray<byte>(ReadBytes);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or WebSocketException)
        {
            return ex.Message;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return "closed";
        }
        finally
        {
            lock (_lock)
            {
                (_peer, _webPeer) = (null, null);
            }

            webPeer?.Dispose();
            peer.Dispose();
        }
    }

    private void SetListening(string? reason = null)
    {
        _filename = "disconnected:" + Describe();
        SetState(ChardevState.Listening, reason);
    }

    private static Socket NewSocket(EndPoint endpoint) =>
        endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
}
