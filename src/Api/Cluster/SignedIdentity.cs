using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CharWeb.Api.Access;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Cluster;

/// <summary>Who a forwarded request acts for, as the forwarding node vouches: the signed part of <see cref="SignedIdentity.Header"/>.</summary>
internal sealed record ForwardedCaller(
    string Name, string Role, IReadOnlyList<string> Groups, string Via, string Origin, string Target, long Time, string Method, string Path, string Nonce);

/// <summary>
/// The caller's identity carried node to node: <c>v1.PAYLOAD.MAC</c>, both base64url, where PAYLOAD is a
/// <see cref="ForwardedCaller"/> in JSON (user, role, groups, origin and target node, time, method, path) and MAC
/// its HMAC-SHA256 under <c>CharWeb:Cluster:Secret</c>. Valid only for that method, path and target, for
/// <see cref="ClusterSettings.SignatureSeconds"/> either side of the receiver's clock, and once (its nonce is kept in Redis).
/// </summary>
internal sealed class SignedIdentity(IOptions<ClusterSettings> settings, TimeProvider time)
{
    public const string Header = "X-CharWeb-Identity";
    private const string Version = "v1";

    private readonly byte[] _key = Encoding.UTF8.GetBytes(settings.Value.Secret ?? "");

    public string Sign(ClaimsPrincipal user, string target, string method, string path)
    {
        var caller = new ForwardedCaller(
            user.UserName(), Identity.Name(user.Role() ?? throw new InvalidOperationException("only a caller with a role is forwarded")), user.Groups(), user.Via(), settings.Value.Node!, target,
            time.GetUtcNow().ToUnixTimeMilliseconds(), method, path, Base64Url(RandomNumberGenerator.GetBytes(16)));
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(caller, ClusterJson.Options));
        return $"{Version}.{payload}.{Base64Url(Mac(payload))}";
    }

    /// <summary>The caller the header vouches for, or null with the reason it is refused.</summary>
    public ForwardedCaller? Verify(string header, string method, string path, out string reason)
    {
        var parts = header.Split('.');
        if (parts.Length != 3 || parts[0] != Version)
        {
            reason = $"{Header} is not of the form {Version}.PAYLOAD.MAC";
            return null;
        }

        if (!TryDecode(parts[2], out var mac) || !CryptographicOperations.FixedTimeEquals(mac, Mac(parts[1])))
        {
            reason = $"{Header} is not signed with this cluster's secret";
            return null;
        }

        ForwardedCaller? caller;
        try
        {
            caller = TryDecode(parts[1], out var json) ? JsonSerializer.Deserialize<ForwardedCaller>(json, ClusterJson.Options) : null;
        }
        catch (JsonException)
        {
            caller = null;
        }

        var skew = Math.Abs(time.GetUtcNow().ToUnixTimeMilliseconds() - (caller?.Time ?? 0));
        reason = caller switch
        {
            null or { Name: null } or { Groups: null } or { Via: null } or { Origin: null } or { Nonce: not { Length: >= 16 } } => $"{Header} carries no caller",
            _ when caller.Target != settings.Value.Node => $"{Header} was signed for node '{caller.Target}', not this one",
            _ when caller.Method != method || caller.Path != path => $"{Header} was signed for {caller.Method} {caller.Path}, not {method} {path}",
            _ when skew > settings.Value.SignatureSeconds * 1000L => $"{Header} is {skew / 1000} s away from this node's clock (valid for {settings.Value.SignatureSeconds} s)",
            _ when Identity.Parse(caller.Role) is null => $"{Header} names no known role",
            _ => "",
        };
        return reason.Length == 0 ? caller : null;
    }

    /// <summary>How long a nonce must be remembered: as long as its signature could still be valid.</summary>
    public TimeSpan NonceLifetime => TimeSpan.FromSeconds(2 * settings.Value.SignatureSeconds);

    private byte[] Mac(string payload) => HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(payload));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecode(string text, out byte[] bytes)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        bytes = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var written) && (bytes = bytes[..written]).Length > 0;
    }
}
