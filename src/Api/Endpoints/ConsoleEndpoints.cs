using CharWeb.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CharWeb.Api.Endpoints;

/// <summary>What browser consoles see over REST: who is attached, and the history and log to download.</summary>
internal static class ConsoleEndpoints
{
    public static void MapConsoleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/chardevs/{id}").WithTags("Consoles");

        group.MapGet("/consoles", (string id, ChardevRegistry registry) =>
                TypedResults.Ok(registry.Get(id).Consoles.Select(c => new ConsoleResponse(
                    c.Id, c.RemoteAddress, c.Since, c.BytesSent, c.BytesAcknowledged, c.BytesLost, c.QueuedBytes, c.ReadOnly, c.Size?.Cols, c.Size?.Rows)).ToList()))
            .WithName("ListConsoles")
            .WithSummary("Consoles attached to a chardev: remote address, since, bytes sent, acknowledged and lost, read-only.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/history", (string id, ChardevRegistry registry) =>
                TypedResults.File(registry.Get(id).History(), "application/octet-stream", $"{id}-history.bin"))
            .WithName("DownloadHistory")
            .WithSummary("The chardev's replay history (its newest output, up to 'history' bytes) as a file.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapGet("/log", DownloadLog)
            .WithName("DownloadLog")
            .WithSummary("The chardev's logfile as a file.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static FileStreamHttpResult DownloadLog(string id, ChardevRegistry registry)
    {
        var path = registry.Get(id).LogfilePath
            ?? throw new ChardevException(ChardevErrorKind.Unsupported, $"chardev '{id}' has no logfile", [new FieldError("logfile", "is not set for this chardev")]);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return TypedResults.File(stream, "text/plain; charset=utf-8", Path.GetFileName(path));
    }
}

/// <summary>One attached console.</summary>
public sealed record ConsoleResponse(
    string Id, string RemoteAddress, DateTimeOffset Since, long BytesSent, long BytesAcknowledged, long BytesLost, int QueuedBytes, bool ReadOnly, int? Cols, int? Rows);
