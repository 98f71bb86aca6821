using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using CharWeb.Api.Access;
using CharWeb.Engine;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CharWeb.Api.Endpoints;

/// <summary><c>GET /api/chardevs/{id}/recording</c>: the asciicast v2 recording of a chardev with <c>record: true</c>, whole or by time.</summary>
internal static class RecordingEndpoints
{
    public const string ContentType = "application/x-asciicast";

    /// <summary>About 31 years: later than any recording's end, and a bound OpenAPI can state.</summary>
    public const double MaxSeconds = 1e9;

    public static void MapRecordingEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/chardevs/{id}/recording", Download)
            .RequireRole(Role.Viewer)
            .WithName("DownloadRecording")
            .WithTags("Consoles")
            .WithSummary("The chardev's current asciicast v2 recording; with from/to (seconds since its start) only the events in that range, re-based to start at 0.")
            .Produces<string>(StatusCodes.Status200OK, ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

    /// <param name="id">The chardev.</param>
    /// <param name="from">Keep events at or after this many seconds since the recording's start; their times are re-based so the player starts at 0.</param>
    /// <param name="to">Keep events at or before this many seconds since the recording's start.</param>
    /// <param name="registry">The chardevs.</param>
    /// <param name="user">The caller.</param>
    private static Results<FileStreamHttpResult, FileContentHttpResult> Download(
        string id, [Range(0, MaxSeconds)] double? from, [Range(0, MaxSeconds)] double? to, ChardevRegistry registry, ClaimsPrincipal user)
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

        var path = chardev.RecordingPath;
        FileStream stream;
        try
        {
            stream = path is null ? throw new FileNotFoundException() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            throw new ChardevException(ChardevErrorKind.NotFound, $"chardev '{id}' has no recording", [new FieldError("record", "is not set for this chardev, or nothing is recorded yet")]);
        }

        if (from is null && to is null)
        {
            return TypedResults.File(stream, ContentType, $"{id}.cast");
        }

        using (stream)
        {
            return TypedResults.File(Slice(stream, from ?? 0, to ?? double.MaxValue), ContentType, $"{id}.cast");
        }
    }

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
