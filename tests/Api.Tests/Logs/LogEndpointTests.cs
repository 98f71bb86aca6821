using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Logs;

/// <summary>Logs as conserver keeps them, read back over REST from a real server: stamped, annotated, rotated, served in ranges.</summary>
public sealed partial class LogEndpointTests
{
    [Fact]
    public async Task ARotatedTimestampedLogWithEventsReadsBackWholeAndInOrder()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""
            {"id": "vm1", "logfile": "logs/vm1.log", "logTimestamps": true, "logEvents": true, "logMaxBytes": 4096, "logMaxFiles": 5,
             "backend": {"type": "testdev"}}
            """);
        await using (var console = await HubConsole.ConnectAsync(server))
        {
            await console.AttachAsync("vm1");
            await WriteAsync(server, "vm1", "Linux version 6.1\r\nlogin: ");
            using (var broke = await server.Http.PostAsync("/api/chardevs/vm1/break", null, CharWebServer.Timeout()))
            {
                Assert.Equal(HttpStatusCode.NoContent, broke.StatusCode);
            }

            await console.DetachAsync();
            await HubConsole.UntilAsync(async () => await HubConsole.CountAsync(server, "vm1") == 0, "the console to detach");
        }

        for (var i = 0; i < 80; i++)
        {
            await WriteAsync(server, "vm1", $"[{i,4}] a line of kernel chatter, long enough to fill a log in a few dozen lines\r\n");
        }

        var logs = (await server.Http.GetFromJsonAsync<JsonArray>("/api/chardevs/vm1/logs", CharWebServer.Timeout()))!;
        Assert.Equal("vm1.log", logs[0]!["name"]!.GetValue<string>());
        Assert.True(logs[0]!["current"]!.GetValue<bool>());
        var rotated = logs.Skip(1).Select(l => l!["name"]!.GetValue<string>()).ToList();
        Assert.True(rotated.Count >= 2, $"rotated: {string.Join(", ", rotated)}");
        Assert.All(rotated, name => Assert.Matches(@"^vm1\.log-[0-9]{8}-[0-9]{6}(-[0-9]+)?$", name));
        Assert.All(logs, l => Assert.True(l!["from"]!.GetValue<DateTimeOffset>() <= l["to"]!.GetValue<DateTimeOffset>()));

        // Oldest first, each fetched by its name, exactly as it is on disk and as big as listed.
        var text = new StringBuilder();
        foreach (var log in logs.Reverse())
        {
            var name = log!["name"]!.GetValue<string>();
            using var response = await server.Http.GetAsync($"/api/chardevs/vm1/logs/{name}", CharWebServer.Timeout());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync(CharWebServer.Timeout());
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "logs", name), CharWebServer.Timeout()), bytes);
            Assert.Equal(log["bytes"]!.GetValue<long>(), bytes.Length);
            Assert.True(bytes.Length <= 4096, $"{name} has {bytes.Length} bytes");
            text.Append(Encoding.UTF8.GetString(bytes));
        }

        var lines = text.ToString().Split("\r\n");
        Assert.Equal("", lines[^1]);
        var stamped = lines[..^1].Select(line => Stamped().Match(line)).ToList();
        Assert.All(stamped, (match, i) => Assert.True(match.Success, $"line {i} has no stamp: '{lines[i]}'"));
        var times = stamped.Select(match => DateTimeOffset.Parse(match.Groups["stamp"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)).ToList();
        Assert.Equal(times.Order(), times);
        var bodies = stamped.Select(match => match.Groups["line"].Value).ToList();

        // The event lines, each at its place, in conserver's shape, with the time it happened.
        const string Who = "loopback@127.0.0.1:";
        var events = bodies.Select((body, i) => (Body: body, Time: times[i], Match: Event().Match(body))).Where(e => e.Match.Success).ToList();
        Assert.All(events, e => Assert.Equal(e.Time, DateTimeOffset.Parse(e.Match.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)));
        var what = events.Select(e => Regex.Replace(e.Match.Groups["what"].Value, @"127\.0\.0\.1:[0-9]+", "127.0.0.1:PORT")).ToList();
        Assert.Equal(
            [
                "Console up",
                "loopback@127.0.0.1:PORT attached read-write",
                "loopback@127.0.0.1:PORT has the writer seat",
                "break sent by loopback@127.0.0.1:PORT (rest)",
                "loopback@127.0.0.1:PORT detached",
                "nobody has the writer seat",
            ],
            what);
        Assert.StartsWith(Who, events[1].Match.Groups["what"].Value);
        var output = bodies.Where(body => !Event().IsMatch(body)).ToList();
        Assert.Equal("Linux version 6.1", output[0]);
        Assert.Equal("login: ", output[1]);
        Assert.Equal(Enumerable.Range(0, 80).Select(i => $"[{i,4}] a line of kernel chatter, long enough to fill a log in a few dozen lines"), output[2..]);
        Assert.True(bodies.IndexOf("login: ") < bodies.FindIndex(b => b.StartsWith("[-- break sent", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RangeRequestsAnswer206WithTheExactBytesAnd416ProblemDetailsOutsideTheLog()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "logfile": "echo.log", "logMaxBytes": 4096, "backend": {"type": "testdev"}}""");
        for (var i = 0; i < 60; i++)
        {
            await WriteAsync(server, "echo", $"{i:D2}: 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n");
        }

        var whole = await File.ReadAllBytesAsync(Path.Combine(server.DataDir, "echo.log"), CharWebServer.Timeout());
        var rotatedName = (await server.Http.GetFromJsonAsync<JsonArray>("/api/chardevs/echo/logs", CharWebServer.Timeout()))![1]!["name"]!.GetValue<string>();
        var rotated = await File.ReadAllBytesAsync(Path.Combine(server.DataDir, rotatedName), CharWebServer.Timeout());

        using (var all = await server.Http.GetAsync("/api/chardevs/echo/log", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
            Assert.Equal("bytes", all.Headers.AcceptRanges.Single());
            Assert.Equal(whole, await all.Content.ReadAsByteArrayAsync(CharWebServer.Timeout()));
        }

        await AssertPartialAsync(server, "/api/chardevs/echo/log", new RangeHeaderValue(3, 9), whole, 3, 9);
        await AssertPartialAsync(server, "/api/chardevs/echo/log", new RangeHeaderValue(null, 20), whole, whole.Length - 20, whole.Length - 1);
        await AssertPartialAsync(server, "/api/chardevs/echo/log", new RangeHeaderValue(whole.Length - 1, null), whole, whole.Length - 1, whole.Length - 1);
        await AssertPartialAsync(server, $"/api/chardevs/echo/logs/{rotatedName}", new RangeHeaderValue(100, 199), rotated, 100, 199);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/chardevs/echo/log");
        request.Headers.Range = new RangeHeaderValue(whole.Length, null);
        using var outside = await server.Http.SendAsync(request, CharWebServer.Timeout());
        var problem = await Problem.ReadAsync(outside);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, outside.StatusCode);
        Assert.Equal("urn:charweb:problem:range-not-satisfiable", problem.Type);
        Assert.Equal(416, problem.Status);
        Assert.Contains($"of the {whole.Length} bytes of echo.log", Assert.Single(problem.Errors["Range"]));
        Assert.Equal($"bytes */{whole.Length}", outside.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task ARefusedCreateLeavesNoLogBehind()
    {
        await using var server = await CharWebServer.StartAsync();

        using var response = await server.PostJsonAsync("/api/chardevs", """{"id": "x", "logfile": "made.log", "logTimestamps": true, "logMaxBytes": 100, "logMaxFiles": 2000, "backend": {"type": "testdev"}}""");
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(400, problem.Status);
        Assert.Equal(["logMaxBytes", "logMaxFiles"], problem.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(server.DataDir, "made.log")));
        Assert.Empty(await server.ListAsync());
    }

    [Fact]
    public async Task TheLogOptionsComeBackAsGivenAndAfterARestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("charweb-api-").FullName;
        const string Body = """{"id": "vm1", "logfile": "vm1.log", "logTimestamps": true, "logEvents": true, "logMaxBytes": 1048576, "logMaxFiles": 4, "backend": {"type": "null"}}""";
        await using (var server = await CharWebServer.StartAsync(dataDir))
        {
            AssertLogOptions(await server.CreateAsync(Body));
        }

        await using (var restarted = await CharWebServer.StartAsync(dataDir))
        {
            AssertLogOptions(await restarted.GetAsync("vm1"));
        }

        static void AssertLogOptions(JsonObject chardev)
        {
            Assert.True(chardev["logTimestamps"]!.GetValue<bool>());
            Assert.True(chardev["logEvents"]!.GetValue<bool>());
            Assert.Equal(1048576, chardev["logMaxBytes"]!.GetValue<long>());
            Assert.Equal(4, chardev["logMaxFiles"]!.GetValue<int>());
        }
    }

    private static async Task AssertPartialAsync(CharWebServer server, string path, RangeHeaderValue range, byte[] file, long from, long to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Range = range;
        using var response = await server.Http.SendAsync(request, CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {from}-{to}/{file.Length}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(file[(int)from..(int)(to + 1)], await response.Content.ReadAsByteArrayAsync(CharWebServer.Timeout()));
    }

    private static async Task WriteAsync(CharWebServer server, string id, string text)
    {
        using var response = await server.Http.PostAsJsonAsync($"/api/chardevs/{id}/write", new { data = text }, CharWebServer.Timeout());
        Assert.Equal(Encoding.UTF8.GetByteCount(text), (await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());
    }

    [GeneratedRegex(@"^\[(?<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)\] (?<line>.*)$")]
    private static partial Regex Stamped();

    [GeneratedRegex(@"^\[-- (?<what>.*) -- (?<at>[0-9T:.\-]+Z)\]$")]
    private static partial Regex Event();
}
