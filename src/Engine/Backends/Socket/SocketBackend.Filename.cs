using System.Net;
using System.Net.Sockets;

namespace CharWeb.Engine.Backends;

/// <summary>The socket kind's names for itself and its peers, as QEMU's <c>query-chardev</c> spells them.</summary>
public sealed partial class SocketBackend
{
    private string Protocol => _options.Telnet ? "telnet" : _options.Websocket ? "websocket" : "tcp";

    private string ServerFlag => _options.Server ? ",server=on" : "";

    /// <summary>QEMU's address string: <c>tcp:127.0.0.1:4555,server=on</c> or <c>unix:/run/x.sock,server=on</c>.</summary>
    private string Describe() =>
        _unixFile is not null ? $"unix:{_unixFile.Path}{ServerFlag}" : $"{Protocol}:{Bracket(_addr.Host!)}:{_boundPort}{ServerFlag}";

    /// <summary>QEMU's connected form: <c>tcp:local,server=on &lt;-&gt; peer</c>.</summary>
    private string Connected(Socket peer) =>
        peer.LocalEndPoint is IPEndPoint local && peer.RemoteEndPoint is IPEndPoint remote
            ? $"{Protocol}:{Bracket(local.Address.ToString())}:{local.Port}{ServerFlag} <-> {Bracket(remote.Address.ToString())}:{remote.Port}"
            : $"unix:{_unixFile!.Path}{ServerFlag}";

    private static string Remote(Socket peer) => peer.RemoteEndPoint is IPEndPoint remote ? $"{Bracket(remote.Address.ToString())}:{remote.Port}" : "a unix peer";

    private static string Bracket(string host) => host.Contains(':') ? $"[{host}]" : host;
}
