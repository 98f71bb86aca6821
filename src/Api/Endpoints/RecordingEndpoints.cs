using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using CharWeb.Api.Access;
using CharWeb.Engine;

namespace CharWeb.Api.Endpoints;

/// <summary><c>GET /api/chardevs/{id}/recording</c>: the asciicast v2 recording of a chardev with <c>record: true</c>, whole or by time.</summary>
internal static class RecordingEndpoints
{
    public const string ContentType = "application/x-asciicast";

    /// <summary>About 31 years: later than any recording's end, and a bound OpenAPI can state.</summary>
    public const double MaxSeconds = 1e9;

    public static void MapRecordingEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/chardevs/{id}").WithTags("Consoles");

        group.MapGet("/recording", (string id, [Range(0, MaxSeconds)] double? from, [Range(0, MaxSeconds)] double? to, ChardevRegistry registry, ClaimsPrincipal user) =>
                Download(id, null, from, to, registry, user))
            .RequireRole(Role.Viewer)
            .WithName("DownloadRecording")
            .WithSummary("The chardev's current asciicast v2 recording; with from/to (seconds since its start) only the events in that range, re-based to start at 0.")
            .WithRecordingResponses();

        group.MapGet("/recordings", (string id, ChardevRegistry registry, ClaimsPrincipal user) => TypedResults.Ok(user.Require(registry, id, Role.Viewer).Recordings()))
            .RequireRole(Role.Viewer)
            .WithName("ListRecordings")
            .WithSummary("The chardev's recordings: the current one first, then the ones rotated away (recordMaxBytes, a restart), newest first.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/recordings/{name}", (string id, string name, [Range(0, MaxSeconds)] double? from, [Range(0, MaxSeconds)] double? to, ChardevRegistry registry, ClaimsPrincipal user) =>
                Download(id, name, from, to, registry, user))
            .RequireRole(Role.Viewer)
            .WithName("DownloadRotatedRecording")
            .WithSummary("One recording by its name from GET .../recordings (ID.cast, or ID.cast-YYYYMMDD-HHMMSS); from/to as for .../recording. Any other name is a 400.")
            .WithRecordingResponses();
    }

    /// <param name="id">The chardev.</param>
    /// <param name="name">The recording (null: the current one).</param>
    /// <param name="from">Keep events at or after this many seconds since the recording's start; their times are re-based so the player starts at 0.</param>
    /// <param name="to">Keep events at or before this many seconds since the recording's start.</param>
    /// <param name="registry">The chardevs.</param>
    /// <param name="user">The caller.</param>
    private static IResult Download(string id, string? name, double? from, double? to, ChardevRegistry registry, ClaimsPrincipal user)
    {
        var chardev = user.Require(registry, id, Role.Viewer);
        var errors = new List<FieldError>();
        if (from is { } f && f is not (>= 0 and <= MaxSeconds))
        {
            errors.Add(new FieldError("from", $"must be 0 or more seconds (at most {MaxSeconds}), got {from}"));
        }
        else if (to is { } t && t is not (>= 0 and <= MaxSeconds))
        {
            errors.Add(new FieldError("to", $"must be 0 or more seconds (at most {MaxSeconds}), got {to}"));
        }
        else if (from > to)
        {
            errors.Add(new FieldError("from", $"must not be after 'to' ({to}), got {from}"));
        }

        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        // Opened beneath the data folder as logs are, and only as long as it was then: a recording under way is served consistent.
        var recording = chardev.OpenRecording(name);
        var fileName = recording.Name.EndsWith(".cast", StringComparison.Ordinal) ? recording.Name : recording.Name + ".cast";
        if (from is null && to is null)
        {
            return new LogFileResult(recording, ContentType, fileName);
        }

        using (recording)
        {
            return TypedResults.File(Slice(recording, from ?? 0, to ?? double.MaxValue), ContentType, fileName);
        }
    }

    private static RouteHandlerBuilder WithRecordingResponses(this RouteHandlerBuilder route) => route
        .Produces<string>(StatusCodes.Status200OK, ContentType)
        .Produces<string>(StatusCodes.Status206PartialContent, ContentType)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable);

    /// <summary>The header (with the terminal size in force at <paramref name="from"/>, and its time) and the events from <paramref name="from"/> to <paramref name="to"/>, times less <paramref name="from"/>.</summary>
    private static byte[] Slice(Stream cast, double from, double to)
    {
        using var reader = new StreamReader(cast, Encoding.UTF8);
        var header = reader.ReadLine() is { } first ? JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(first)! : [];
        var output = new StringBuilder();
        var events = new StringBuilder();
        while (reader.ReadLine() is { } line)
        {
            // A line cut short by a write under way (or a crash) is no event yet.
            using var document = TryParse(line);
            if (document is null)
            {
                continue;
            }

            var e = document.RootElement;
            var time = e[0].GetDouble();
            if (time < from)
            {
                if (e[1].GetString() == "r" && e[2].GetString()!.Split('x') is [var cols, var rows])
                {
                    header["width"] = JsonSerializer.SerializeToElement(int.Parse(cols, CultureInfo.InvariantCulture));
                    header["height"] = JsonSerializer.SerializeToElement(int.Parse(rows, CultureInfo.InvariantCulture));
                }

                continue;
            }

            if (time > to)
            {
                break;
            }

            events.Append('[').Append(Math.Round(time - from, 6).ToString("R", CultureInfo.InvariantCulture)).Append(", ")
                .Append(e[1].GetRawText()).Append(", ").Append(e[2].GetRawText()).Append("]\n");
        }

        if (header.TryGetValue("timestamp", out var started) && started.TryGetInt64(out var unix))
        {
            // The slice starts at 'from': so does the wall-clock time it claims.
            header["timestamp"] = JsonSerializer.SerializeToElement(unix + (long)Math.Floor(from));
        }

        output.Append(JsonSerializer.Serialize(header)).Append('\n').Append(events);
        return Encoding.UTF8.GetBytes(output.ToString());
    }

    private static JsonDocument? TryParse(string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
