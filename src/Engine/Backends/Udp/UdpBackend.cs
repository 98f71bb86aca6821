using System.Net;
using System.Net.Sockets;

namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-udp.c</c>: console input goes out as datagrams to <c>remote</c>; datagrams that
/// arrive on <c>local</c> are the device's output. Async socket reads: no thread waits.
/// </summary>
public sealed class UdpBackend(UdpBackendOptions options, DestinationPolicy destinations) : ChardevBackend
{
    private readonly CancellationTokenSource _stop = new();
    private Socket? _socket;
    private IPEndPoint? _remote;
    private Task _loop = Task.CompletedTask;

    public static BackendKind Kind { get; } = BackendKind.Create<UdpBackendOptions>(
        "UDP datagrams: input is sent to remote, what arrives on local is output.",
        Validate,
        (o, c) => new UdpBackend(o, c.Destinations),
        (o, _) => o.Local is { Port: > 0 } local ? [new BackendClaim("local.port", $"udp:{local.Port}")] : [],
        // QAPI's ChardevUdp: remote and local are SocketAddressLegacy, of which CharWeb takes inet.
        fromQapi: data =>
        {
            Qapi.QapiNames.InetOnly(data, "remote");
            Qapi.QapiNames.InetOnly(data, "local");
        });

    public override string Filename => "udp";

    public override async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        // Resolved and judged once, before the socket exists: every datagram goes to this one address.
        _remote = await destinations.ResolveAsync(options.Remote!.Host, options.Remote.Port, cancellationToken);
        var local = options.Local is { } l
            ? new IPEndPoint((await HostAddresses.ResolveAsync(l.Host, cancellationToken))[0], l.Port)
            : new IPEndPoint(_remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(local);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        SetState(ChardevState.Open);
        _loop = ReceiveLoopAsync(_socket, _stop.Token);
    }

    public override async ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            return await _socket!.SendToAsync(data, SocketFlags.None, _remote!, cancellationToken);
        }
        catch (SocketException ex)
        {
            throw new IOException($"udp to {_remote}: {ex.Message}", ex);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket?.Dispose();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        await base.DisposeAsync();
    }

    private static IEnumerable<FieldError> Validate(UdpBackendOptions o, BackendContext context)
    {
        if (o.Remote is not { } remote)
        {
            yield return new FieldError("remote", "is required: {host, port}");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(remote.Host))
            {
                yield return new FieldError("remote.host", "is required");
            }

            if (remote.Port is < 1 or > 65535)
            {
                yield return new FieldError("remote.port", $"must be between 1 and 65535, got {remote.Port}");
            }
            else if (!string.IsNullOrWhiteSpace(remote.Host) && context.Destinations.Refusal(remote.Host, remote.Port) is { } refused)
            {
                yield return new FieldError("remote", refused);
            }
        }

        if (o.Local is { } local && (string.IsNullOrWhiteSpace(local.Host) || local.Port is < 0 or > 65535))
        {
            yield return new FieldError(string.IsNullOrWhiteSpace(local.Host) ? "local.host" : "local.port", "must be a host and a port between 0 and 65535");
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                Output(buffer.AsSpan(0, n));
            }
            catch (SocketException)
            {
                // ICMP port unreachable from an earlier send surfaces here; the next datagram may come.
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }
}
