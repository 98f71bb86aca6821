using CharWeb.Engine;
using CharWeb.Engine.Persistence;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CharWeb.Api.Endpoints;

/// <summary><c>GET /healthz</c>: the database answers, how the chardevs stand, whether the cluster answers; 503 when the database does not.</summary>
internal static class HealthEndpoint
{
    public static void MapHealthEndpoint(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", CheckAsync).AllowAnonymous().WithName("Health").WithTags("Health").WithSummary("Database and chardev health.")
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> CheckAsync(
        ChardevRegistry registry, ChardevDatabase database, Cluster.IClusterNodes nodes, CancellationToken cancellationToken)
    {
        var chardevs = registry.All;
        var states = chardevs.GroupBy(c => c.State).ToDictionary(g => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(g.Key.ToString()), g => g.Count());
        var cluster = await nodes.HealthAsync(cancellationToken);
        try
        {
            await database.CountAsync(cancellationToken);
            // A node without its cluster still serves its own chardevs: degraded, not unhealthy.
            return TypedResults.Ok(new HealthResponse(cluster is null or "ok" ? "healthy" : "degraded", "ok", chardevs.Count, states, cluster));
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            return TypedResults.Json(new HealthResponse("unhealthy", ex.Message, chardevs.Count, states, cluster), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
