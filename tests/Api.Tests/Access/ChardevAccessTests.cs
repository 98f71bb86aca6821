using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Access;

/// <summary>A chardev's own access lists (conserver's ro/rw) narrow who sees it and who types, never widen.</summary>
public sealed class ChardevAccessTests
{
    [Fact]
    public async Task ListsNarrowWhoSeesAndWhoOperatesAndAnUnlistedChardevIsNotFound()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        using var viewer = TestKeys.Client(server, TestKeys.Viewer);
        using var labOperator = TestKeys.Client(server, TestKeys.Operator);
        using var bob = TestKeys.Client(server, await WriterSeatHubTests.MakeKeyAsync(admin, "bob", "operator"));
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "open", "backend": {"type": "testdev"}}""");
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "lab", "history": 64, "access": {"operators": ["@lab"]}, "backend": {"type": "testdev"}}""");
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "narrow", "access": {"viewers": ["viewer-key"]}, "backend": {"type": "testdev"}}""");

        Assert.Equal(["lab", "narrow", "open"], await IdsAsync(admin));
        Assert.Equal(["lab", "narrow", "open"], await IdsAsync(viewer));
        Assert.Equal(["lab", "open"], await IdsAsync(labOperator));
        Assert.Equal(["lab", "open"], await IdsAsync(bob));

        // Not on the list: the chardev does not exist for this caller, on every route.
        foreach (var path in new[] { "/api/chardevs/narrow", "/api/chardevs/narrow/history", "/api/chardevs/narrow/consoles", "/api/chardevs/narrow/log", "/api/chardevs/narrow/logs", "/api/chardevs/narrow/logs/narrow.log" })
        {
            using var hidden = await labOperator.GetAsync(path, CharWebServer.Timeout());
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        using (var hidden = await labOperator.PostAsJsonAsync("/api/chardevs/narrow/write", new { data = "x" }, CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }

        // On the operators list by group: types. An operator not on it only watches there.
        using (var typed = await labOperator.PostAsJsonAsync("/api/chardevs/lab/write", new { data = "by group" }, CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, typed.StatusCode);
        }

        using (var refused = await bob.PostAsJsonAsync("/api/chardevs/lab/write", new { data = "x" }, CharWebServer.Timeout()))
        {
            var problem = await Problem.ReadAsync(refused);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("urn:charweb:problem:forbidden", problem.Type);
            Assert.Contains("operator role on chardev 'lab'", problem.Detail);
            Assert.Contains("bob", problem.Detail);
        }

        using (var history = await bob.GetAsync("/api/chardevs/lab/history", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, history.StatusCode);
            Assert.Equal("by group", await history.Content.ReadAsStringAsync(CharWebServer.Timeout()));
        }

        // Over the hub the same: bob's console on lab is read-only, and narrow is not there at all.
        await using var console = await HubConsole.ConnectAsync(server, accessToken: bob.DefaultRequestHeaders.Authorization!.Parameter);
        await console.AttachAsync("lab");
        var write = await Assert.ThrowsAsync<HubException>(() => console.Connection.InvokeAsync<int>("Write", "lab", "x"u8.ToArray(), CharWebServer.Timeout()));
        Assert.Contains("read-only", write.Message);
        await using var other = await HubConsole.ConnectAsync(server, accessToken: bob.DefaultRequestHeaders.Authorization!.Parameter);
        var missing = await Assert.ThrowsAsync<HubException>(() => other.AttachAsync("narrow"));
        Assert.Contains("no chardev is named 'narrow'", missing.Message);
    }

    [Fact]
    public async Task ConsumingARingbufIsAnOperatorsActWhileReadingHistoryIsAViewers()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        using var viewer = TestKeys.Client(server, TestKeys.Viewer);
        using var operatorClient = TestKeys.Client(server, TestKeys.Operator);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "rb", "backend": {"type": "ringbuf", "size": 1024}}""");
        using (var _ = await operatorClient.PostAsJsonAsync("/api/chardevs/rb/write", new { data = "hello" }, CharWebServer.Timeout()))
        {
        }

        using (var refused = await viewer.GetAsync("/api/chardevs/rb/read?size=5", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("operator", (await refused.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["requiredRole"]!.GetValue<string>());
        }

        var read = await operatorClient.GetFromJsonAsync<JsonObject>("/api/chardevs/rb/read?size=5", CharWebServer.Timeout());
        Assert.Equal("hello", read!["data"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"id": "bad", "access": {"viewers": [""]}, "backend": {"type": "null"}}""", "access.viewers[0]")]
    [InlineData("""{"id": "bad", "access": {"operators": ["a b"]}, "backend": {"type": "null"}}""", "access.operators[0]")]
    [InlineData("""{"id": "bad", "access": {"operators": ["@"]}, "backend": {"type": "null"}}""", "access.operators[0]")]
    [InlineData("""{"id": "bad", "access": {"viewers": ["ok", "*"]}, "backend": {"type": "null"}}""", "access.viewers[1]")]
    [InlineData("""{"id": "bad", "access": {"viewers": [null]}, "backend": {"type": "null"}}""", "access.viewers[0]")]
    [InlineData("""{"id": "bad", "access": {"everyone": true}, "backend": {"type": "null"}}""", "access.everyone")]
    [InlineData("""{"id": "bad", "writers": "some", "backend": {"type": "null"}}""", "writers")]
    [InlineData("""{"id": "bad", "auditInput": "yes", "backend": {"type": "null"}}""", "auditInput")]
    public async Task BadAccessOptionsAreRefusedNamingTheFieldAndNothingIsCreated(string body, string field)
    {
        await using var server = await CharWebServer.StartAsync();

        using var response = await server.PostJsonAsync("/api/chardevs", body);
        var problem = await Problem.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.Errors.ContainsKey(field), $"errors should name {field}: {string.Join(", ", problem.Errors.Keys)} ({problem.Detail})");
        Assert.DoesNotContain(await server.ListAsync(), c => c!["id"]!.GetValue<string>() == "bad");
    }

    private static async Task<List<string>> IdsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout()))!.Select(c => c!["id"]!.GetValue<string>()).ToList();
}
