using System.Security.Claims;
using CharWeb.Api.Access;
using CharWeb.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CharWeb.Api.Endpoints;

/// <summary>What browser consoles see over REST: who is attached, and the history to download (logs: <see cref="LogEndpoints"/>).</summary>
internal static class ConsoleEndpoints
{
    public static void MapConsoleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/chardevs/{id}").WithTags("Consoles");

        group.MapGet("/consoles", (string id, ChardevRegistry registry, ClaimsPrincipal user) =>
                TypedResults.Ok(user.Require(registry, id, Role.Viewer).Consoles.Select(c => new ConsoleResponse(
                    c.Id, c.User, c.RemoteAddress, c.Since, c.BytesSent, c.BytesAcknowledged, c.BytesLost, c.QueuedBytes, c.ReadOnly, c.MayWrite, c.Size?.Cols, c.Size?.Rows)).ToList()))
            .RequireRole(Role.Viewer)
            .WithName("ListConsoles")
            .WithSummary("Consoles attached to a chardev: remote address, since, bytes sent, acknowledged and lost, read-only.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/history", (string id, ChardevRegistry registry, ClaimsPrincipal user) =>
                TypedResults.File(user.Require(registry, id, Role.Viewer).History(), "application/octet-stream", $"{id}-history.bin"))
            .RequireRole(Role.Viewer)
            .WithName("DownloadHistory")
            .WithSummary("The chardev's replay history (its newest output, up to 'history' bytes) as a file.")
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}

/// <summary>One attached console.</summary>
/// <param name="Id">The console.</param>
/// <param name="User">Who is at it.</param>
/// <param name="RemoteAddress">From where.</param>
/// <param name="Since">Attached since.</param>
/// <param name="BytesSent">Output handed to it.</param>
/// <param name="BytesAcknowledged">Output it said it rendered.</param>
/// <param name="BytesLost">Output it lost by falling behind.</param>
/// <param name="QueuedBytes">Output queued for it now.</param>
/// <param name="ReadOnly">It may not type (a viewer, or a read-only link).</param>
/// <param name="Writer">It types now: it holds the writer seat, or the chardev lets every operator write.</param>
/// <param name="Cols">Its terminal width.</param>
/// <param name="Rows">Its terminal height.</param>
public sealed record ConsoleResponse(
    string Id, string User, string RemoteAddress, DateTimeOffset Since, long BytesSent, long BytesAcknowledged, long BytesLost, int QueuedBytes, bool ReadOnly, bool Writer, int? Cols, int? Rows);
