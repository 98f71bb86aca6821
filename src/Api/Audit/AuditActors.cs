using System.Security.Claims;
using CharWeb.Api.Access;

namespace CharWeb.Api.Audit;

/// <summary>The audit's view of a caller.</summary>
public static class AuditActors
{
    public static AuditActor Of(ClaimsPrincipal user, HttpContext? http) =>
        new(user.UserName(), user.Via(), http?.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : null);

    public static AuditActor Of(HttpContext http) => Of(http.User, http);

    /// <summary>The server itself (a seat that passed on when its holder left).</summary>
    public static readonly AuditActor Server = new("charweb", "server", null);
}
