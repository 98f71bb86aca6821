using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Access;

/// <summary>
/// <c>Authorization: Bearer &lt;API key&gt;</c> (and <c>access_token</c> on the hub and the raw WebSocket
/// consoles, where a browser cannot set the header), and the loopback default: a caller on this machine that sends
/// no credentials is <c>admin</c> while <c>CharWeb:Auth:AnonymousLoopback</c> is on.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys, IOptions<AuthSettings> settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Only a node of a cluster takes an identity from another node; here it is a forgery, never loopback admin.
        if (Request.Headers.ContainsKey(Cluster.SignedIdentity.Header))
        {
            return Task.FromResult(AuthenticateResult.Fail($"{Cluster.SignedIdentity.Header} is taken only by a node of a cluster, from another node"));
        }

        if (Credentials.Token(Context) is { } token)
        {
            return Task.FromResult(keys.Find(token) is { } key
                ? Success(Identity.Create(key.Name, key.Role, key.Groups, "apikey", SchemeName))
                : AuthenticateResult.Fail("the API key is not valid (unknown or revoked)"));
        }

        // A header that says nothing usable ("Bearer" with an empty variable, Basic) is a wrong credential, never loopback admin.
        if (Credentials.Presented(Context))
        {
            return Task.FromResult(AuthenticateResult.Fail("Authorization must be 'Bearer <API key or token>'"));
        }

        if (settings.Value.AnonymousLoopback && IsLocal(Context))
        {
            return Task.FromResult(Success(Identity.Create("loopback", Role.Admin, [], "loopback", SchemeName)));
        }

        return Task.FromResult(AuthenticateResult.NoResult());
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = !Credentials.Presented(Context)
            ? "Bearer realm=\"CharWeb\""
            : "Bearer realm=\"CharWeb\", error=\"invalid_token\"";
        return Task.CompletedTask;
    }

    /// <summary>On this machine and not relayed: a reverse proxy on the same host must not make the world loopback.</summary>
    internal static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)
        && !context.Request.Headers.ContainsKey("X-Forwarded-For")
        && !context.Request.Headers.ContainsKey("Forwarded")
        && !context.Request.Headers.ContainsKey("X-Real-IP");

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
}

/// <summary>Where a caller's token is: the Authorization header, or <c>access_token</c> on a WebSocket's URL only (hub, raw consoles).</summary>
internal static class Credentials
{
    public const string QueryName = "access_token";

    /// <summary>Query names that look like credentials; on REST they are refused, not read.</summary>
    public static readonly string[] QueryNames = [QueryName, "api_key", "apikey", "token", "key"];

    public static string? Token(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return TakesQueryToken(context.Request.Path) && context.Request.Query[QueryName].ToString() is { Length: > 0 } query ? query : null;
    }

    /// <summary>Whether the caller sent credentials of any shape, usable or not.</summary>
    public static bool Presented(HttpContext context) =>
        context.Request.Headers.Authorization.Count > 0 || Token(context) is not null || context.Request.Headers.ContainsKey(Cluster.SignedIdentity.Header);

    /// <summary>
    /// A WebSocket from a browser cannot carry headers; only there does a token ride in the URL:
    /// the hub, and the raw WebSocket consoles (<c>/ws/chardevs/{id}</c>). Never a REST route.
    /// </summary>
    public static bool TakesQueryToken(PathString path) =>
        path.StartsWithSegments(Hubs.ConsoleHub.Path, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(Endpoints.RawWebSocketEndpoint.Path, StringComparison.OrdinalIgnoreCase);

    /// <summary>A JWT (three base64url parts, a JSON header first) rather than an API key.</summary>
    public static bool LooksLikeJwt(string token) => token.StartsWith("eyJ", StringComparison.Ordinal) && token.Count(c => c == '.') == 2;
}
