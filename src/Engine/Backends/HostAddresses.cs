using System.Net;
using System.Net.Sockets;

namespace CharWeb.Engine.Backends;

/// <summary>
/// How socket and udp turn a host into addresses, in one place: a literal as written, a name through
/// DNS, IPv4 first. IPv4-mapped IPv6 becomes plain IPv4, so the address judged is the address dialled.
/// </summary>
internal static class HostAddresses
{
    /// <summary>At least one address, or a <see cref="SocketException"/> saying why not. Blocks on DNS; for validators.</summary>
    public static IReadOnlyList<IPAddress> Resolve(string host)
    {
        if (Literal(host) is { } address)
        {
            return [address];
        }

        try
        {
            return Order(host, Dns.GetHostAddresses(host));
        }
        catch (ArgumentException ex)
        {
            throw NotFound(ex.Message);
        }
    }

    /// <summary>At least one address, or a <see cref="SocketException"/> saying why not.</summary>
    public static async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (Literal(host) is { } address)
        {
            return [address];
        }

        try
        {
            return Order(host, await Dns.GetHostAddressesAsync(host, cancellationToken));
        }
        catch (ArgumentException ex)
        {
            throw NotFound(ex.Message);
        }
    }

    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPAddress? Literal(string host) => IPAddress.TryParse(host, out var address) ? Normalize(address) : null;

    private static List<IPAddress> Order(string host, IPAddress[] addresses)
    {
        var ordered = addresses.Select(Normalize).Distinct().OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ToList();
        return ordered.Count > 0 ? ordered : throw NotFound($"{host} has no address");
    }

    // A name too long for DNS is as unresolvable as one nobody serves: one exception type for callers.
    private static SocketException NotFound(string message) => new((int)SocketError.HostNotFound, message);
}
