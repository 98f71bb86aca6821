using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CharWeb.Engine.Backends;

/// <summary>
/// The server side of RFC 6455's opening handshake, judged as QEMU's <c>io/channel-websock.c</c> judges it:
/// <c>GET / HTTP/1.1</c> with <c>Host</c>, <c>Connection: Upgrade</c>, <c>Upgrade: websocket</c>,
/// <c>Sec-WebSocket-Version: 13</c> and a 16-byte key; a <c>Sec-WebSocket-Protocol</c> the peer sends must
/// offer <c>binary</c>, and is answered with it. Anything else is refused (400, 404 for another path) and closed.
/// </summary>
internal static class WebSocketHandshake
{
    /// <summary>The most a request may take (QEMU: 4096); a longer one is refused with 431.</summary>
    public const int MaxRequestBytes = 8 << 10;

    /// <summary>The time a peer has to send its whole request: a silent one is refused with 408 and the listener goes on.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Reads the peer's upgrade request within <see cref="Timeout"/>, sends the answer, and returns it.</summary>
    public static async Task<UpgradeAnswer> AcceptAsync(Socket peer, TimeProvider time, CancellationToken cancellationToken)
    {
        UpgradeAnswer answer;
        using (var timeout = new CancellationTokenSource(Timeout, time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                answer = await ReadAsync(peer, linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                answer = UpgradeAnswer.Refuse(408, "Request Timeout", $"no complete upgrade request within {Timeout.TotalSeconds:0} s");
            }
        }

        var response = answer.ToBytes().AsMemory();
        while (!response.IsEmpty)
        {
            response = response[await peer.SendAsync(response, SocketFlags.None, cancellationToken)..];
        }

        return answer;
    }

    /// <summary>Judges a request's head (request line and header lines, without the blank line that ends it).</summary>
    internal static UpgradeAnswer Judge(string head)
    {
        var lines = head.Split("\r\n");
        var start = lines[0].Split(' ');
        if (start.Length != 3)
        {
            return Bad($"'{Clip(lines[0])}' is not a request line (GET / HTTP/1.1)");
        }

        if (start[0] != "GET")
        {
            return Bad($"method {Clip(start[0])} is not GET");
        }

        if (start[2] != "HTTP/1.1")
        {
            return Bad($"{Clip(start[2])} is not HTTP/1.1");
        }

        if (start[1] != "/")
        {
            return UpgradeAnswer.Refuse(404, "Not Found", $"path {Clip(start[1])} is not / (the only path a WebSocket chardev serves)");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return Bad($"'{Clip(line)}' is not a header line (Name: value)");
            }

            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        foreach (var name in (string[])["Host", "Connection", "Upgrade", "Sec-WebSocket-Version", "Sec-WebSocket-Key"])
        {
            if (!headers.ContainsKey(name))
            {
                return Bad($"the {name} header is missing");
            }
        }

        if (!Tokens(headers["Connection"]).Contains("upgrade", StringComparer.OrdinalIgnoreCase))
        {
            return Bad($"Connection '{Clip(headers["Connection"])}' does not ask for an upgrade");
        }

        if (!headers["Upgrade"].Equals("websocket", StringComparison.OrdinalIgnoreCase))
        {
            return Bad($"Upgrade '{Clip(headers["Upgrade"])}' is not websocket");
        }

        if (headers["Sec-WebSocket-Version"] != "13")
        {
            return Bad($"Sec-WebSocket-Version '{Clip(headers["Sec-WebSocket-Version"])}' is not 13");
        }

        var key = headers["Sec-WebSocket-Key"];
        if (key.Length != 24 || !Convert.TryFromBase64String(key, new byte[16], out var keyBytes) || keyBytes != 16)
        {
            return Bad($"Sec-WebSocket-Key '{Clip(key)}' is not 16 bytes in base64");
        }

        // Offered protocols are optional (as in QEMU); offered, they must include binary, the only one spoken here.
        var offered = headers.GetValueOrDefault("Sec-WebSocket-Protocol");
        if (offered is not null && !Tokens(offered).Contains("binary", StringComparer.Ordinal))
        {
            return Bad($"Sec-WebSocket-Protocol offers '{Clip(offered)}', not binary");
        }

        // A browser always says which page opened the socket; any web page could otherwise type into this device
        // (cross-site WebSocket hijacking: nothing else here knows who is asking). Tools send no Origin.
        if (headers.GetValueOrDefault("Origin") is { } origin && !SameOrigin(origin, headers["Host"]))
        {
            return UpgradeAnswer.Refuse(403, "Forbidden", $"a web page from {Clip(origin)} may not open this chardev's WebSocket (only requests without an Origin, or from {Clip(headers["Host"])} itself)");
        }

        return new UpgradeAnswer(101, "Switching Protocols", "upgraded", Accept(key), offered is null ? null : "binary");
    }

    /// <summary>Whether a page's origin is the host the request was sent to (scheme aside: the socket speaks only ws).</summary>
    private static bool SameOrigin(string origin, string host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var page) && (page.Scheme is "http" or "https") &&
        string.Equals(page.IsDefaultPort ? page.Host : page.Authority, host, StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 6455 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID.</summary>
    internal static string Accept(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + KeyGuid)));

    /// <summary>
    /// Takes the request off the socket up to its blank line and not a byte further, so whatever the peer sent
    /// after it is still there for the WebSocket: each read peeks first and then takes only what belongs to the request.
    /// </summary>
    private static async Task<UpgradeAnswer> ReadAsync(Socket peer, CancellationToken cancellationToken)
    {
        var request = new byte[MaxRequestBytes];
        var length = 0;
        while (length < request.Length)
        {
            var seen = await peer.ReceiveAsync(request.AsMemory(length), SocketFlags.Peek, cancellationToken);
            if (seen == 0)
            {
                return Bad("the peer ended its request before the blank line after its headers");
            }

            var from = Math.Max(0, length - 3);
            var end = request.AsSpan(from, length + seen - from).IndexOf("\r\n\r\n"u8);
            var take = end < 0 ? seen : from + end + 4 - length;
            for (var part = request.AsMemory(length, take); !part.IsEmpty;)
            {
                part = part[await peer.ReceiveAsync(part, SocketFlags.None, cancellationToken)..];
            }

            length += take;
            if (end >= 0)
            {
                return Judge(Encoding.Latin1.GetString(request, 0, length - 4));
            }
        }

        return UpgradeAnswer.Refuse(431, "Request Header Fields Too Large", $"no end of the request headers in its first {MaxRequestBytes} bytes");
    }

    private static UpgradeAnswer Bad(string reason) => UpgradeAnswer.Refuse(400, "Bad Request", reason);

    private static IEnumerable<string> Tokens(string list) => list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Peer text in a reason is cut short: it goes to the log and to the chardev's last error.</summary>
    private static string Clip(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "...");
}

/// <summary>The answer to one upgrade request: 101 with the accept value and protocol, or a refusal and its reason.</summary>
internal sealed record UpgradeAnswer(int Status, string Title, string Reason, string? Accept = null, string? Protocol = null)
{
    public bool Upgraded => Status == 101;

    public static UpgradeAnswer Refuse(int status, string title, string reason) => new(status, title, reason);

    /// <summary>The HTTP response; a refusal carries its reason as a text body for a person with curl.</summary>
    public byte[] ToBytes()
    {
        var head = $"HTTP/1.1 {Status} {Title}\r\n";
        if (Upgraded)
        {
            var protocol = Protocol is null ? "" : $"Sec-WebSocket-Protocol: {Protocol}\r\n";
            return Encoding.ASCII.GetBytes($"{head}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {Accept}\r\n{protocol}\r\n");
        }

        var body = Encoding.UTF8.GetBytes(Reason + "\n");
        var refusal = $"{head}Connection: close\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(refusal), .. body];
    }
}
