using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Access;

/// <summary>One writer per chardev over the hub, as conserver: the seat, spies, take-over, and who is told.</summary>
public sealed class WriterSeatHubTests
{
    [Fact]
    public async Task FirstOperatorTypesTheSecondSpiesTakeOverMovesTheSeatAndEveryoneIsTold()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        var bobKey = await MakeKeyAsync(admin, "bob", "operator");
        await CreateAsync(admin, """{"id": "echo", "backend": {"type": "testdev"}}""");

        await using var alice = await HubConsole.ConnectAsync(server, accessToken: TestKeys.Operator);
        await alice.AttachAsync("echo");
        var aliceSeat = await alice.WaitForEventAsync("writer");
        await using var bob = await HubConsole.ConnectAsync(server, accessToken: bobKey);
        await bob.AttachAsync("echo");
        var bobSeat = await bob.WaitForEventAsync("writer");

        Assert.Equal(("operator-key", true), (aliceSeat.Text("name"), aliceSeat.Flag("self")));
        Assert.Equal(("operator-key", false), (bobSeat.Text("name"), bobSeat.Flag("self")));
        var spy = await Assert.ThrowsAsync<HubException>(() => bob.Connection.InvokeAsync<int>("Write", "echo", "no"u8.ToArray(), CharWebServer.Timeout()));
        Assert.Contains("spy", spy.Message);
        Assert.Equal(3, await alice.Connection.InvokeAsync<int>("Write", "echo", "yes"u8.ToArray(), CharWebServer.Timeout()));

        // REST writes by an operator go through whoever holds the seat.
        using var bobRest = TestKeys.Client(server, bobKey);
        using (var rest = await bobRest.PostAsJsonAsync("/api/chardevs/echo/write", new { data = "rest" }, CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        }

        await bob.Connection.InvokeAsync("TakeWriter", "echo", CharWebServer.Timeout());
        var moved = await alice.WaitForEventAsync("writer");
        var took = await bob.WaitForEventAsync("writer");
        Assert.Equal(("bob", false), (moved.Text("name"), moved.Flag("self")));
        Assert.Equal(("bob", true), (took.Text("name"), took.Flag("self")));
        Assert.Equal(2, await bob.Connection.InvokeAsync<int>("Write", "echo", "ok"u8.ToArray(), CharWebServer.Timeout()));
        await Assert.ThrowsAsync<HubException>(() => alice.Connection.InvokeAsync<int>("Write", "echo", "no"u8.ToArray(), CharWebServer.Timeout()));
        Assert.Equal("bob", (await GetAsync(admin, "echo"))["writer"]!.GetValue<string>());

        // The holder leaves: the seat passes back, and the page-visible writer says so.
        await bob.DetachAsync();
        var back = await alice.WaitForEventAsync("writer");
        Assert.Equal(("operator-key", true), (back.Text("name"), back.Flag("self")));
        Assert.Equal(3 + 4 + 2, (await GetAsync(admin, "echo"))["stats"]!["inputBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task AViewerWatchesButCannotTypeBreakOrTakeTheSeatAndItsConnectionStaysUsable()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await CreateAsync(admin, """{"id": "echo", "history": 1024, "backend": {"type": "testdev"}}""");
        using (var _ = await admin.PostAsJsonAsync("/api/chardevs/echo/write", new { data = "before" }, CharWebServer.Timeout()))
        {
        }

        await using var viewer = await HubConsole.ConnectAsync(server, accessToken: TestKeys.Viewer, keep: true);
        await viewer.AttachAsync("echo");
        await viewer.WaitForReceivedAsync(6, CharWebServer.Timeout());

        var write = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeAsync<int>("Write", "echo", "x"u8.ToArray(), CharWebServer.Timeout()));
        var brk = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeAsync("SendBreak", "echo", CharWebServer.Timeout()));
        var take = await Assert.ThrowsAsync<HubException>(() => viewer.Connection.InvokeAsync("TakeWriter", "echo", CharWebServer.Timeout()));

        Assert.Contains("read-only", write.Message);
        Assert.Contains("operator", brk.Message);
        Assert.Contains("operator", take.Message);
        Assert.Equal(HubConnectionState.Connected, viewer.Connection.State);
        var consoles = (await admin.GetFromJsonAsync<JsonArray>("/api/chardevs/echo/consoles", CharWebServer.Timeout()))!;
        Assert.True(consoles.Single()!["readOnly"]!.GetValue<bool>());
        Assert.Equal("viewer-key", consoles.Single()!["user"]!.GetValue<string>());
        Assert.Equal(0, (await GetAsync(admin, "echo"))["stats"]!["inputDropped"]!.GetValue<long>());
    }

    [Fact]
    public async Task WritersAllLetsEveryOperatorConsoleType()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await CreateAsync(admin, """{"id": "echo", "writers": "all", "backend": {"type": "testdev"}}""");
        await using var first = await HubConsole.ConnectAsync(server, accessToken: TestKeys.Operator);
        await using var second = await HubConsole.ConnectAsync(server, accessToken: TestKeys.Admin);
        await first.AttachAsync("echo");
        await second.AttachAsync("echo");

        Assert.Equal(1, await first.Connection.InvokeAsync<int>("Write", "echo", "a"u8.ToArray(), CharWebServer.Timeout()));
        Assert.Equal(1, await second.Connection.InvokeAsync<int>("Write", "echo", "b"u8.ToArray(), CharWebServer.Timeout()));
        var take = await Assert.ThrowsAsync<HubException>(() => first.Connection.InvokeAsync("TakeWriter", "echo", CharWebServer.Timeout()));
        Assert.Contains("writers: all", take.Message);
        Assert.Null((await GetAsync(admin, "echo"))["writer"]?.GetValue<string>());
    }

    internal static async Task CreateAsync(HttpClient admin, string json)
    {
        using var response = await admin.PostAsync("/api/chardevs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), CharWebServer.Timeout());
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(CharWebServer.Timeout())}");
    }

    internal static async Task<JsonObject> GetAsync(HttpClient client, string id) =>
        (await client.GetFromJsonAsync<JsonObject>($"/api/chardevs/{id}", CharWebServer.Timeout()))!;

    internal static async Task<string> MakeKeyAsync(HttpClient admin, string name, string role)
    {
        using var response = await admin.PostAsJsonAsync("/api/keys", new { name, role }, CharWebServer.Timeout());
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout());
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api/keys answered {(int)response.StatusCode}: {body}");
        return body!["key"]!.GetValue<string>();
    }
}
