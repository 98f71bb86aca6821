using System.Security.Claims;
using System.Text.Encodings.Web;
using CharWeb.Api.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// A request another node forwarded: it acts as the caller that node vouches for in <see cref="SignedIdentity.Header"/>.
/// A header that is not signed with this cluster's secret, or not for this request, is refused (401), never
/// passed over for another credential.
/// </summary>
internal sealed class NodeIdentityHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SignedIdentity identity, RedisConnection redis)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Node";

    /// <summary>The node that forwarded the request.</summary>
    public const string OriginClaim = "charweb:node";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers[SignedIdentity.Header];
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (header.Count > 1)
        {
            return AuthenticateResult.Fail($"{SignedIdentity.Header} was sent more than once");
        }

        if (identity.Verify(header.ToString(), Request.Method, Request.Path + Request.QueryString, out var reason) is not { } caller)
        {
            return AuthenticateResult.Fail(reason);
        }

        try
        {
            if (!await redis.Database.StringSetAsync(redis.Keys.Nonce(caller.Nonce), caller.Origin, identity.NonceLifetime, When.NotExists).WaitAsync(Context.RequestAborted))
            {
                return AuthenticateResult.Fail($"{SignedIdentity.Header} was used before: a signed identity is good for one request");
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return AuthenticateResult.Fail($"{SignedIdentity.Header} cannot be checked for replay while Redis does not answer");
        }

        var principal = Identity.Create(caller.Name, Identity.Parse(caller.Role), caller.Groups, $"{caller.Via} via node {caller.Origin}", SchemeName);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(OriginClaim, caller.Origin));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }
}
