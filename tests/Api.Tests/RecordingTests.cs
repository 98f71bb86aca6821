using System.Globalization;
using System.Net;
using System.Text.Json;

namespace CharWeb.Api.Tests;

/// <summary><c>GET /api/chardevs/{id}/recording</c> on a real server: the whole asciicast, and a time range re-based to 0.</summary>
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
