using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>A socket address as QEMU's QAPI spells it: <c>{type: inet, host, port}</c> or <c>{type: unix, path}</c>.</summary>
public sealed record SocketAddressOptions
{
    /// <summary><c>inet</c> (TCP) or <c>unix</c>.</summary>
    [Required]
    [AllowedValues("inet", "unix")]
    public string Type { get; init; } = "inet";

    /// <summary>Host name or address (inet).</summary>
    public string? Host { get; init; }

    /// <summary>TCP port (inet); 0 lets a server take any free port, shown in <c>filename</c>.</summary>
    [Range(0, 65535)]
    public int? Port { get; init; }

    /// <summary>Socket file (unix); relative paths are under the data folder.</summary>
    public string? Path { get; init; }
}

/// <summary>QEMU's <c>socket</c>: TCP or Unix, server or client, optional telnet or (server) WebSocket, client reconnect.</summary>
public sealed record SocketBackendOptions : BackendOptions
{
    public override string Type => "socket";

    /// <summary>Where to listen (server) or connect (client).</summary>
    [Required]
    public SocketAddressOptions? Addr { get; init; }

    /// <summary>Listen for one peer at a time (QEMU <c>server=on</c>) instead of connecting.</summary>
    [DefaultValue(false)]
    public bool Server { get; init; }

    /// <summary>Kept so QEMU command lines carry over. CharWeb never holds a request on it: a server is <c>listening</c> at once and <c>open</c> when its peer connects.</summary>
    [DefaultValue(false)]
    public bool Wait { get; init; }

    /// <summary>Disable Nagle's algorithm (TCP_NODELAY).</summary>
    [DefaultValue(false)]
    public bool Nodelay { get; init; }

    /// <summary>Speak telnet: QEMU's negotiation on connect, IAC sequences stripped, IAC BREAK as a break.</summary>
    [DefaultValue(false)]
    public bool Telnet { get; init; }

    /// <summary>Server only, not with telnet: the peer speaks WebSocket (RFC 6455, QEMU <c>websocket=on</c>): an HTTP/1.1 upgrade on <c>GET /</c>, then binary frames both ways.</summary>
    [DefaultValue(false)]
    public bool Websocket { get; init; }

    /// <summary>Client only: keep retrying every this many milliseconds instead of failing (QEMU <c>reconnect-ms</c>).</summary>
    [Range(0, 3_600_000)]
    public int? ReconnectMs { get; init; }
}
