using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CharWeb.Engine.Backends;

namespace CharWeb.Engine;

/// <summary>
/// Where socket clients and udp chardevs may connect and send (<c>CharWeb:Network:AllowedDestinations</c>),
/// so a REST caller cannot turn the server into a way to reach other services on its host or network
/// (a database on 127.0.0.1, a private range, 169.254.169.254). Addresses are judged after name
/// resolution, at every connect, so a name rebound since creation gets no further than the check.
/// </summary>
public sealed class DestinationPolicy
{
    public const string ConfigurationKey = "CharWeb:Network:AllowedDestinations";

    private readonly IReadOnlyList<DestinationRule> _rules;
    private readonly string _listed;

    private DestinationPolicy(IReadOnlyList<DestinationRule> rules)
    {
        _rules = rules;
        _listed = rules.Count == 0
            ? $"{ConfigurationKey} is empty: nothing is allowed"
            : $"{ConfigurationKey}: {string.Join(", ", rules.Select(r => r.Entry))}";
    }

    /// <summary>The default when nothing is configured: loopback only, any port.</summary>
    public static DestinationPolicy Loopback { get; } = Parse(["127.0.0.0/8", "::1/128"], new List<FieldError>());

    /// <summary>The entries as written, for messages and logs.</summary>
    public IReadOnlyList<string> Entries => _rules.Select(r => r.Entry).ToList();

    /// <summary>
    /// Each entry is a CIDR (<c>10.0.0.0/8</c>), an address or a host name, optionally with
    /// <c>:port</c> or <c>:first-last</c> (IPv6 in brackets: <c>[::1]:22</c>). Every bad entry is
    /// reported, as <c>CharWeb:Network:AllowedDestinations:N</c>; the good ones make the policy.
    /// </summary>
    public static DestinationPolicy Parse(IEnumerable<string?> entries, ICollection<FieldError> errors)
    {
        var rules = new List<DestinationRule>();
        var index = 0;
        foreach (var entry in entries)
        {
            if (DestinationRule.TryParse(entry, out var rule, out var why))
            {
                rules.Add(rule);
            }
            else
            {
                errors.Add(new FieldError($"{ConfigurationKey}:{index}", $"'{entry}' {why}"));
            }

            index++;
        }

        return new DestinationPolicy(rules);
    }

    public override string ToString() => _listed;

    /// <summary>
    /// For validators: null when <paramref name="host"/>:<paramref name="port"/> may be used now,
    /// else why not. Resolves names (blocking), so a name that does not resolve is refused too.
    /// </summary>
    internal string? Refusal(string host, int port)
    {
        IReadOnlyList<IPAddress> addresses;
        try
        {
            addresses = HostAddresses.Resolve(host);
        }
        catch (SocketException ex)
        {
            return $"host '{host}' could not be resolved: {ex.Message}";
        }

        return Choose(host, addresses, port) is null ? Refusal(host, addresses, port) : null;
    }

    /// <summary>Before every connect or first send: resolves now and answers an allowed address, or refuses.</summary>
    /// <exception cref="DestinationRefusedException">No address of the host is allowed at that port.</exception>
    /// <exception cref="SocketException">The name does not resolve.</exception>
    internal async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        var addresses = await HostAddresses.ResolveAsync(host, cancellationToken);
        return Choose(host, addresses, port) is { } allowed
            ? new IPEndPoint(allowed, port)
            : throw new DestinationRefusedException(Refusal(host, addresses, port));
    }

    /// <summary>The first of <paramref name="addresses"/> (resolver order) that may be used; only that one is dialled.</summary>
    internal IPAddress? Choose(string host, IReadOnlyList<IPAddress> addresses, int port)
    {
        var name = NameOf(host);
        return addresses.Select(HostAddresses.Normalize).FirstOrDefault(a => _rules.Any(r => r.Ports.Contains(port) && r.Matches(name, a)));
    }

    /// <summary>The host as name rules see it; an address literal is no name.</summary>
    private static string? NameOf(string host) => IPAddress.TryParse(host, out _) ? null : DestinationRule.NormalizeName(host);

    private string Refusal(string host, IReadOnlyList<IPAddress> addresses, int port)
    {
        // What was judged is shown beside what was asked for: a name's addresses, a mapped address as IPv4.
        var shown = addresses is [var only] && only.ToString() == host
            ? $"{Bracket(host)}:{port}"
            : $"{Bracket(host)}:{port} ({string.Join(", ", addresses)})";
        var name = NameOf(host);
        var why = addresses.Any(a => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any))
            ? ": the unspecified address (0.0.0.0, ::) is allowed only where it is listed itself"
            : _rules.FirstOrDefault(r => !r.Ports.Contains(port) && addresses.Any(a => r.Matches(name, a))) is { } near
                ? $": {near.Entry} covers the address but not port {port}"
                : "";
        return $"{shown} is not an allowed destination{why} ({_listed})";
    }

    private static string Bracket(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
}

/// <summary>One entry of the allow-list: a network or a host name, and the ports it allows.</summary>
internal sealed record DestinationRule(string Entry, IPNetwork? Network, string? HostName, PortRange Ports)
{
    public bool Matches(string? hostName, IPAddress address)
    {
        if (HostName is not null)
        {
            // A listed name is trusted to resolve where its owner points it; that is what listing it means.
            return hostName == HostName;
        }

        var network = Network!.Value;
        // 0.0.0.0 and :: dial this host itself: only an entry naming exactly that address lets them through, never 0.0.0.0/0.
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return network.BaseAddress.Equals(address) && network.PrefixLength == FullLength(address);
        }

        return network.Contains(address);
    }

    public static string NormalizeName(string host) => host.TrimEnd('.').ToLowerInvariant();

    public static bool TryParse(string? entry, out DestinationRule rule, out string why)
    {
        rule = null!;
        var text = entry?.Trim() ?? "";
        if (!SplitPort(text, out var hostPart, out var portPart, out why))
        {
            return false;
        }

        var ports = PortRange.Any;
        if (portPart is not null && !PortRange.TryParse(portPart, out ports))
        {
            why = $"has a bad port '{portPart}': a port or first-last, between 1 and 65535";
            return false;
        }

        if (hostPart.Contains('/'))
        {
            if (!TryParseNetwork(hostPart, out var network, out why))
            {
                return false;
            }

            rule = new DestinationRule(text, network, null, ports);
        }
        else if (IPAddress.TryParse(hostPart, out var address))
        {
            address = HostAddresses.Normalize(address);
            rule = new DestinationRule(text, new IPNetwork(address, FullLength(address)), null, ports);
        }
        else if (!text.StartsWith('[') && Uri.CheckHostName(hostPart) == UriHostNameType.Dns)
        {
            rule = new DestinationRule(text, null, NormalizeName(hostPart), ports);
        }
        else
        {
            why = "is not a CIDR (10.0.0.0/8), an address or a host name";
            return false;
        }

        return true;
    }

    /// <summary><c>host:port</c>, <c>[v6]:port</c>, or no port; a bare IPv6 address (two or more colons) has none.</summary>
    private static bool SplitPort(string text, out string host, out string? port, out string why)
    {
        (host, port, why) = (text, null, "");
        if (text.Length == 0)
        {
            why = "is empty";
            return false;
        }

        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            var rest = close < 0 ? "" : text[(close + 1)..];
            if (close < 0 || (rest.Length > 0 && rest[0] != ':'))
            {
                why = "must be [IPv6 address or CIDR] or [IPv6]:port";
                return false;
            }

            host = text[1..close];
            port = rest.Length > 0 ? rest[1..] : null;
            if (!host.Contains(':'))
            {
                why = "puts brackets around something that is not an IPv6 address";
                return false;
            }

            return true;
        }

        if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            (host, port) = (text[..colon], text[(colon + 1)..]);
        }

        return true;
    }

    private static bool TryParseNetwork(string text, out IPNetwork network, out string why)
    {
        why = "";
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IPNetwork.TryParse(text, out network) || !IPAddress.TryParse(text[..slash], out var written))
        {
            why = "is not a CIDR: an address, '/' and a prefix length (10.0.0.0/8, fd00::/8)";
            return false;
        }

        // Refused rather than masked: 10.1.0.0/8 more likely means /16 than all of 10/8.
        if (!network.BaseAddress.Equals(written))
        {
            why = $"has bits set past its /{network.PrefixLength} prefix; write {network} or a longer prefix";
            return false;
        }

        // Written as IPv4-mapped IPv6 (::ffff:10.0.0.0/104): judged as the IPv4 network, as addresses are.
        if (written.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
        {
            network = new IPNetwork(written.MapToIPv4(), network.PrefixLength - 96);
        }

        return true;
    }

    private static int FullLength(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
}

/// <summary>Ports <see cref="First"/> to <see cref="Last"/>, both included.</summary>
internal readonly record struct PortRange(int First, int Last)
{
    public static PortRange Any { get; } = new(0, 65535);

    public bool Contains(int port) => port >= First && port <= Last;

    public static bool TryParse(string text, out PortRange range)
    {
        range = default;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var (first, last) = dash < 0 ? (text, text) : (text[..dash], text[(dash + 1)..]);
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
            || a is < 1 or > 65535 || b is < 1 or > 65535 || a > b)
        {
            return false;
        }

        range = new PortRange(a, b);
        return true;
    }
}

/// <summary>A socket or udp destination that <see cref="DestinationPolicy"/> refuses; the message names the rule.</summary>
internal sealed class DestinationRefusedException(string message) : IOException(message);
