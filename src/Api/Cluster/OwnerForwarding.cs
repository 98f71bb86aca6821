using CharWeb.Api.Audit;
using CharWeb.Engine;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Every route under one chardev's id (<c>/api/chardevs/{id}/...</c>, <c>/ws/chardevs/{id}</c>) for a chardev this node
/// does not have but another node holds: the request goes to that node, as the caller, after this node's own
/// authentication and route role check; the owner then judges it against the chardev itself. Changes are audited
/// here naming both nodes; the owner audits what it did, as the caller via this node.
/// </summary>
internal sealed partial class OwnerForwarding(RequestDelegate next, ChardevRegistry registry, IClusterNodes nodes, AuditLog audit, ILogger<OwnerForwarding> logger)
{
    private static readonly string[] ChardevRoutes = ["/api/chardevs/{id}", Endpoints.RawWebSocketEndpoint.Path + "/{id}"];

    public async Task InvokeAsync(HttpContext http)
    {
        // A request another node forwarded is answered here, never sent on: one hop, so no two directories that disagree make a loop.
        if (http.User.HasClaim(c => c.Type == NodeIdentityHandler.OriginClaim)
            || ChardevOf(http) is not { } id || registry.TryGet(id, out _) || await nodes.OwnerOfAsync(id, http.RequestAborted) is not { } node)
        {
            await next(http);
            return;
        }

        var change = !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method);
        var console = http.WebSockets.IsWebSocketRequest;
        LogForwarding(http.Request.Method, http.Request.Path, id, node);
        await nodes.ForwardAsync(http, node, body: null, http.RequestAborted);
        if (change || console)
        {
            audit.Record(AuditActors.Of(http), console ? "console" : "forward", id, detail: $"{http.Request.Method} {http.Request.Path} on node {node} from node {nodes.Self}: {http.Response.StatusCode}");
        }
    }

    private static string? ChardevOf(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern }
        && ChardevRoutes.Any(route => pattern.StartsWith(route, StringComparison.Ordinal))
        && http.GetRouteValue("id") is string id
            ? id
            : null;
}
