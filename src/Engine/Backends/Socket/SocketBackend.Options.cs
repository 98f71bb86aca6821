using System.Text;

namespace CharWeb.Engine.Backends;

/// <summary>The socket kind's options: validation (every error at once), QAPI's spelling, and what a server holds.</summary>
public sealed partial class SocketBackend
{
    private static IEnumerable<FieldError> Validate(SocketBackendOptions o, BackendContext context)
    {
        var errors = new List<FieldError>();
        if (o.Addr is not { } addr)
        {
            errors.Add(new FieldError("addr", "is required: {type: inet, host, port} or {type: unix, path}"));
            return errors;
        }

        if (addr.Type == "inet")
        {
            if (string.IsNullOrWhiteSpace(addr.Host))
            {
                errors.Add(new FieldError("addr.host", "is required for an inet address"));
            }

            if (addr.Port is not { } port || port is < 0 or > 65535 || (port == 0 && !o.Server))
            {
                errors.Add(new FieldError("addr.port", o.Server ? "must be between 0 and 65535" : "must be between 1 and 65535"));
            }
            else if (!o.Server && !string.IsNullOrWhiteSpace(addr.Host) && context.Destinations.Refusal(addr.Host, port) is { } refused)
            {
                errors.Add(new FieldError("addr", refused));
            }
        }
        else if (addr.Type == "unix")
        {
            var full = context.Paths.Resolve("addr.path", addr.Path, errors);
            if (full is not null && Encoding.UTF8.GetByteCount(full) > 107)
            {
                errors.Add(new FieldError("addr.path", $"is {Encoding.UTF8.GetByteCount(full)} bytes long; a Unix socket path holds at most 107"));
            }
            else if (full is not null && Encoding.UTF8.GetByteCount(Path.GetFileName(full)) is var name and > UnixSocketFile.MaxNameBytes)
            {
                errors.Add(new FieldError("addr.path", $"names a file of {name} bytes; a socket's file name may have at most {UnixSocketFile.MaxNameBytes} (CharWeb reaches it through its folder)"));
            }
        }
        else
        {
            errors.Add(new FieldError("addr.type", $"must be inet or unix, got '{addr.Type}'"));
        }

        if (o.Server && o.ReconnectMs is > 0)
        {
            errors.Add(new FieldError("reconnectMs", "applies to clients only (server is true)"));
        }

        if (o.Websocket && !o.Server)
        {
            errors.Add(new FieldError("websocket", "needs server: true (a WebSocket client is not supported, as in QEMU)"));
        }

        if (o.Websocket && o.Telnet)
        {
            errors.Add(new FieldError("websocket", "cannot be combined with telnet: the peer speaks WebSocket frames, not telnet"));
        }

        return errors;
    }

    /// <summary>QAPI's socket: <c>reconnect</c> counts seconds (newer QEMU: <c>reconnect-ms</c>).</summary>
    private static void FromQapi(System.Text.Json.Nodes.JsonObject data)
    {
        if (data.Remove("reconnect", out var seconds) && seconds is not null && !data.ContainsKey("reconnectMs"))
        {
            data["reconnectMs"] = seconds is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<long>(out var s) && s is >= 0 and <= 3600
                ? s * 1000
                : throw new Qapi.QapiException("Parameter 'backend.data.reconnect' expects an integer number of seconds");
        }
    }

    private static IEnumerable<BackendClaim> Claims(SocketBackendOptions o, BackendContext context)
    {
        if (!o.Server || o.Addr is not { } addr)
        {
            yield break;
        }

        if (addr.Type == "unix" && addr.Path is not null)
        {
            yield return new BackendClaim("addr.path", "unix:" + context.Paths.FullPath(addr.Path));
        }
        else if (addr.Type == "inet" && addr.Port is > 0)
        {
            yield return new BackendClaim("addr.port", $"tcp:{addr.Port}");
        }
    }
}
