using System.Security.Claims;
using CharWeb.Api.Access;
using CharWeb.Engine;

namespace CharWeb.Api.Endpoints;

/// <summary>
/// A chardev's logs over REST: the one being written and the ones rotated away from it (<c>logMaxBytes</c>),
/// each served as a file with HTTP ranges (<c>Range: bytes=-4096</c> is its tail), as a viewer may read them.
/// </summary>
internal static class LogEndpoints
{
    private const string TextPlain = "text/plain; charset=utf-8";

    /// <summary>What the document says the body is: the bytes as the device sent them (with stamps and event lines where asked), served as UTF-8 text.</summary>
    private const string Documented = "text/plain";

    public static void MapLogEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/chardevs/{id}").WithTags("Logs");

        group.MapGet("/log", (string id, ChardevRegistry registry, ClaimsPrincipal user) => Serve(user.Require(registry, id, Role.Viewer).OpenLogfile()))
            .RequireRole(Role.Viewer)
            .WithName("DownloadLog")
            .WithSummary("The chardev's current logfile as a file; a Range header asks for part of it (206), e.g. bytes=-4096 for its tail.")
            .WithLogFileResponses();

        group.MapGet("/logs", (string id, ChardevRegistry registry, ClaimsPrincipal user) => TypedResults.Ok(user.Require(registry, id, Role.Viewer).Logfiles()))
            .RequireRole(Role.Viewer)
            .WithName("ListLogs")
            .WithSummary("The chardev's logs: the current one first, then the ones rotated away (logMaxBytes), newest first.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/logs/{name}", (string id, string name, ChardevRegistry registry, ClaimsPrincipal user) => Serve(user.Require(registry, id, Role.Viewer).OpenLogfile(name)))
            .RequireRole(Role.Viewer)
            .WithName("DownloadRotatedLog")
            .WithSummary("One log by its name from GET .../logs (the current one's, or NAME-YYYYMMDD-HHMMSS); Range as for .../log. Any other name is a 400.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithLogFileResponses();
    }

    private static LogFileResult Serve(LogSnapshot log) => new(log, TextPlain);

    private static RouteHandlerBuilder WithLogFileResponses(this RouteHandlerBuilder route) => route
        .Produces<Stream>(StatusCodes.Status200OK, Documented)
        .Produces<Stream>(StatusCodes.Status206PartialContent, Documented)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable);
}
