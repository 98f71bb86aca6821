using CharWeb.Api.Access;
using CharWeb.Api.Audit;
using CharWeb.Api.Cluster;
using CharWeb.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CharWeb.Api.Endpoints;

/// <summary>
/// The nodes of a cluster, for admins (they show the nodes' inner addresses and every chardev's count): who joined, who
/// beats, and forgetting one that stopped for good (Proxmox's <c>pvecm delnode</c>).
/// </summary>
internal static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cluster/nodes").WithTags("Cluster");

        group.MapGet("/", async (IClusterNodes nodes, CancellationToken cancellationToken) => TypedResults.Ok(await nodes.NodesAsync(cancellationToken)))
            .RequireRole(Role.Admin)
            .WithName("ListNodes")
            .WithSummary("Every node that joined the cluster, up or unreachable, with how many chardevs it lists; empty on a single node.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapDelete("/{name}", ForgetAsync)
            .RequireRole(Role.Admin)
            .WithName("ForgetNode")
            .WithSummary("Forget a node that stopped for good: its chardevs leave every list, its API keys stop working, the ids it held are free again.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<NoContent> ForgetAsync(string name, IClusterNodes nodes, AuditLog audit, HttpContext http, CancellationToken cancellationToken)
    {
        // Asked of a node by a person, never forwarded: no node sends this on.
        if (http.User.HasClaim(c => c.Type == NodeIdentityHandler.OriginClaim))
        {
            throw ChardevException.Invalid("name", $"was forwarded to node '{nodes.Self}'; forget a node by asking a node directly");
        }

        var released = await nodes.ForgetAsync(name, cancellationToken);
        audit.Record(AuditActors.Of(http), "forget-node", null, detail: $"node {name} forgotten from node {nodes.Self}; {released} ids given back");
        return TypedResults.NoContent();
    }
}
