using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CharWeb.Api.Tests;

/// <summary>The README's curl walk-through, as a test.</summary>
public sealed class RestWalkthroughTests
{
    [Fact]
    public async Task CreateWriteReadStatsRemove()
    {
        await using var server = await CharWebServer.StartAsync();

        var created = await server.CreateAsync("""{"id": "rb", "backend": {"type": "ringbuf", "size": 1024}}""");
        Assert.Equal("ringbuf", created["filename"]!.GetValue<string>());
        Assert.Equal("open", created["state"]!.GetValue<string>());
        Assert.True(created["connected"]!.GetValue<bool>());
        Assert.Equal(1024, created["backend"]!["size"]!.GetValue<int>());

        using var write = await server.PostJsonAsync("/api/chardevs/rb/write", """{"data": "aGVsbG8gd29ybGQ=", "format": "base64"}""");
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.Equal(11, (await write.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());

        var first = await server.Http.GetFromJsonAsync<JsonObject>("/api/chardevs/rb/read?size=5&format=utf8", CharWebServer.Timeout());
        var rest = await server.Http.GetFromJsonAsync<JsonObject>("/api/chardevs/rb/read?format=base64", CharWebServer.Timeout());
        Assert.Equal("hello", first!["data"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(" world"u8), rest!["data"]!.GetValue<string>());
        Assert.Equal("base64", rest["format"]!.GetValue<string>());

        var stats = (await server.GetAsync("rb"))["stats"]!;
        Assert.Equal(11, stats["outputBytes"]!.GetValue<long>());
        Assert.Equal(11, stats["outputDropped"]!.GetValue<long>());
        Assert.Equal(11, stats["inputBytes"]!.GetValue<long>());
        Assert.Equal(0, stats["inputDropped"]!.GetValue<long>());

        using var remove = await server.Http.DeleteAsync("/api/chardevs/rb", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        using var gone = await server.Http.GetAsync("/api/chardevs/rb", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Empty(await server.ListAsync());
    }

    [Fact]
    public async Task ReadOfANonRingbufReturnsItsNewestHistoryWithoutConsumingIt()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "echo", "history": 64, "backend": {"type": "testdev"}}""");
        using var _ = await server.PostJsonAsync("/api/chardevs/echo/write", """{"data": "ping\r\n"}""");

        var once = await server.Http.GetFromJsonAsync<JsonObject>("/api/chardevs/echo/read?size=4", CharWebServer.Timeout());
        var twice = await server.Http.GetFromJsonAsync<JsonObject>("/api/chardevs/echo/read?size=4", CharWebServer.Timeout());

        Assert.Equal("ng\r\n", once!["data"]!.GetValue<string>());
        Assert.Equal("ng\r\n", twice!["data"]!.GetValue<string>());
    }

    [Fact]
    public async Task HotSwapKeepsTheChardevAndAFailedSwapKeepsTheOldBackend()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "dev", "backend": {"type": "null"}}""");

        using var swap = await server.Http.PutAsync("/api/chardevs/dev/backend", Json("""{"type": "ringbuf", "size": 16}"""), CharWebServer.Timeout());
        var swapped = (await swap.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!;
        using var failed = await server.Http.PutAsync("/api/chardevs/dev/backend", Json("""{"type": "file", "path": "no/such/folder/x"}"""), CharWebServer.Timeout());
        var problem = await Problem.ReadAsync(failed);

        Assert.Equal(HttpStatusCode.OK, swap.StatusCode);
        Assert.Equal("ringbuf", swapped["backend"]!["type"]!.GetValue<string>());
        Assert.Equal(422, problem.Status);
        Assert.Equal("urn:charweb:problem:open-failed", problem.Type);
        Assert.Contains("No such file or directory", problem.Errors["backend"][0]);
        Assert.Equal("ringbuf", (await server.GetAsync("dev"))["backend"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task BreakAnswersNoContent()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "dev", "backend": {"type": "testdev"}}""");

        using var response = await server.Http.PostAsync("/api/chardevs/dev/break", null, CharWebServer.Timeout());

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task BackendsListsEveryKindWithItsOptions()
    {
        await using var server = await CharWebServer.StartAsync();

        var kinds = (await server.Http.GetFromJsonAsync<JsonArray>("/api/backends", CharWebServer.Timeout()))!;

        Assert.Equal(["exec", "file", "hub", "mux", "null", "parallel", "pipe", "pty", "ringbuf", "serial", "socket", "testdev", "udp"], kinds.Select(k => k!["name"]!.GetValue<string>()).Order());
        var size = kinds.Single(k => k!["name"]!.GetValue<string>() == "ringbuf")!["options"]!.AsArray().Single()!;
        Assert.Equal("size", size["name"]!.GetValue<string>());
        Assert.Equal(65536, size["default"]!.GetValue<int>());
        var path = kinds.Single(k => k!["name"]!.GetValue<string>() == "file")!["options"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "path")!;
        Assert.True(path["required"]!.GetValue<bool>());
        // flow: pace holds a device only where it can wait; serial and udp would lose bytes unannounced.
        Assert.Equal(["exec", "file", "pipe", "pty", "socket"], kinds.Where(k => k!["paced"]!.GetValue<bool>()).Select(k => k!["name"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task HealthReportsDatabaseAndChardevStates()
    {
        await using var server = await CharWebServer.StartAsync();
        await server.CreateAsync("""{"id": "dev", "backend": {"type": "null"}}""");

        var health = (await server.Http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout()))!;

        Assert.Equal("healthy", health["status"]!.GetValue<string>());
        Assert.Equal("ok", health["database"]!.GetValue<string>());
        Assert.Equal(1, health["states"]!["open"]!.GetValue<int>());
    }

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
