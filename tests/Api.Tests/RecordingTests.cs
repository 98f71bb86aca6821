using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests;

/// <summary>
/// <c>GET /api/chardevs/{id}/recording</c> and <c>.../recordings</c> on a real server: the whole asciicast, a time range
/// re-based to 0, and the rotated recordings listed, served and pruned.
/// </summary>
public sealed class RecordingTests
{
    [Fact]
    public async Task TheRecordingIsServedAsAsciicastAndFromToKeepsTheHeaderAndTheRangeRebased()
    {
        await using var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync("""{"id": "rec", "record": true, "backend": {"type": "testdev"}}""");
        Assert.True(created["record"]!.GetValue<bool>());
        Assert.Equal(64 << 20, created["recordMaxBytes"]!.GetValue<int>());
        foreach (var word in new[] { "one ", "two ", "three ", "four " })
        {
            using var write = await server.PostJsonAsync("/api/chardevs/rec/write", $$"""{"data": "{{word}}"}""");
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        }

        using var whole = await server.Http.GetAsync("/api/chardevs/rec/recording", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("application/x-asciicast", whole.Content.Headers.ContentType!.MediaType);
        var (header, events) = Parse(await whole.Content.ReadAsStringAsync(CharWebServer.Timeout()));
        Assert.Equal(2, header.GetProperty("version").GetInt32());
        Assert.Equal("rec", header.GetProperty("title").GetString());
        Assert.Equal(["one ", "two ", "three ", "four "], events.Select(e => e.Data));

        // From the second event to the third: those two, the second now at 0.
        var from = events[1].Time;
        var to = events[2].Time;
        using var range = await server.Http.GetAsync(
            string.Create(CultureInfo.InvariantCulture, $"/api/chardevs/rec/recording?from={from:R}&to={to:R}"), CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.OK, range.StatusCode);
        Assert.Equal("application/x-asciicast", range.Content.Headers.ContentType!.MediaType);
        var (rangeHeader, rangeEvents) = Parse(await range.Content.ReadAsStringAsync(CharWebServer.Timeout()));
        Assert.Equal(header.GetProperty("timestamp").GetInt64() + (long)Math.Floor(from), rangeHeader.GetProperty("timestamp").GetInt64());
        Assert.Equal(80, rangeHeader.GetProperty("width").GetInt32());
        Assert.Equal(["two ", "three "], rangeEvents.Select(e => e.Data));
        Assert.Equal(0, rangeEvents[0].Time);
        Assert.Equal(Math.Round(to - from, 6), rangeEvents[1].Time, 6);
    }

    [Fact]
    public async Task RotatedRecordingsAreListedServedByNameAndPrunedToRecordMaxFiles()
    {
        await using var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync("""{"id": "rot", "record": true, "recordMaxBytes": 4096, "recordMaxFiles": 2, "backend": {"type": "testdev"}}""");
        Assert.Equal(2, created["recordMaxFiles"]!.GetValue<int>());

        // Two of these and a header fit in 4096 bytes, a third does not: every second write rotates.
        var words = Enumerable.Range(0, 10).Select(i => new string((char)('a' + i), 1900)).ToList();
        foreach (var word in words)
        {
            using var write = await server.PostJsonAsync("/api/chardevs/rot/write", $$"""{"data": "{{word}}"}""");
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        }

        var listed = (await server.Http.GetFromJsonAsync<JsonArray>("/api/chardevs/rot/recordings", CharWebServer.Timeout()))!;
        var names = listed.Select(entry => entry!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(3, names.Count);
        Assert.Equal("rot.cast", names[0]);
        Assert.True(listed[0]!["current"]!.GetValue<bool>());
        Assert.All(names.Skip(1), name => Assert.Matches(@"^rot\.cast-[0-9]{8}-[0-9]{6}(-[0-9]+)?$", name));

        // Oldest first, the kept files hold the last six writes, each file playing on its own.
        var played = new List<string>();
        foreach (var name in names.Skip(1).Reverse().Append("rot.cast"))
        {
            using var file = await server.Http.GetAsync($"/api/chardevs/rot/recordings/{name}", CharWebServer.Timeout());
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal("application/x-asciicast", file.Content.Headers.ContentType!.MediaType);
            Assert.EndsWith(".cast", file.Content.Headers.ContentDisposition!.FileName!.Trim('"'), StringComparison.Ordinal);
            var (header, events) = Parse(await file.Content.ReadAsStringAsync(CharWebServer.Timeout()));
            Assert.Equal(2, header.GetProperty("version").GetInt32());
            played.AddRange(events.Select(e => e.Data));
        }

        Assert.Equal(words.Skip(4), played);

        // A link planted among them is neither listed nor followed.
        var planted = $"rot.cast-{DateTime.UtcNow:yyyyMMdd}-000000";
        File.CreateSymbolicLink(Path.Combine(server.DataDir, "records", planted), Path.Combine(server.DataDir, "charweb.db"));
        var again = (await server.Http.GetFromJsonAsync<JsonArray>("/api/chardevs/rot/recordings", CharWebServer.Timeout()))!;
        Assert.DoesNotContain(planted, again.Select(entry => entry!["name"]!.GetValue<string>()));
        using var link = await server.Http.GetAsync($"/api/chardevs/rot/recordings/{planted}", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.BadRequest, link.StatusCode);
        var problem = await Problem.ReadAsync(link);
        Assert.Contains("symbolic link", problem.Errors["name"][0], StringComparison.Ordinal);

        // The current one takes ranges, as logs do.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/chardevs/rot/recording") { Headers = { Range = new RangeHeaderValue(0, 0) } };
        using var first = await server.Http.SendAsync(request, CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);
        Assert.Equal("{", await first.Content.ReadAsStringAsync(CharWebServer.Timeout()));
    }

    private static (JsonElement Header, List<(double Time, string Code, string Data)> Events) Parse(string cast)
    {
        var lines = cast.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var header = JsonDocument.Parse(lines[0]);
        var events = lines.Skip(1).Select(line =>
        {
            using var e = JsonDocument.Parse(line);
            return (e.RootElement[0].GetDouble(), e.RootElement[1].GetString()!, e.RootElement[2].GetString()!);
        }).ToList();
        return (header.RootElement.Clone(), events);
    }
}
