using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CharWeb.Api.Tests.Access;

/// <summary>Who did what is kept in SQLite and read back by admins, a page at a time.</summary>
public sealed class AuditTests
{
    [Fact]
    public async Task AttachTypingSeatBreakAndLifecycleAreRecordedWithTheUserAndTypedBytesWhereAsked()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "echo", "auditInput": true, "backend": {"type": "testdev"}}""");
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "quiet", "backend": {"type": "testdev"}}""");
        await using (var console = await HubConsole.ConnectAsync(server, accessToken: TestKeys.Operator))
        {
            await console.AttachAsync("echo");
            await console.Connection.InvokeAsync<int>("Write", "echo", "ls -l\r"u8.ToArray(), CharWebServer.Timeout());
            await console.Connection.InvokeAsync("SendBreak", "echo", CharWebServer.Timeout());
            await console.AttachAsync("quiet");
            await console.Connection.InvokeAsync<int>("Write", "quiet", "secret\r"u8.ToArray(), CharWebServer.Timeout());
            await console.DetachAsync();
        }

        using (var _ = await admin.PutAsJsonAsync("/api/chardevs/quiet/backend", new { type = "null" }, CharWebServer.Timeout()))
        using (var __ = await admin.DeleteAsync("/api/chardevs/quiet", CharWebServer.Timeout()))
        {
        }

        var echo = await WaitForAuditAsync(admin, "echo", e => e.Any(x => Action(x) == "detach"));
        var quiet = await WaitForAuditAsync(admin, "quiet", e => e.Any(x => Action(x) == "remove"));

        // The seat is taken while the console attaches and freed while it detaches, so "writer" leads each.
        Assert.Equal(["create", "writer", "attach", "write", "break", "writer", "detach"], echo.Select(Action).ToArray());
        var typed = echo.Single(e => Action(e) == "write");
        Assert.Equal(("operator-key", "apikey", 6L), (typed!["user"]!.GetValue<string>(), typed["via"]!.GetValue<string>(), typed["bytes"]!.GetValue<long>()));
        Assert.Equal("ls -l\r"u8.ToArray(), Convert.FromBase64String(typed!["data"]!.GetValue<string>()));
        Assert.StartsWith("127.0.0.1:", typed!["remote"]!.GetValue<string>());
        Assert.Equal("admin-key", echo[0]!["user"]!.GetValue<string>());

        Assert.Equal(["create", "writer", "attach", "write", "writer", "detach", "change", "remove"], quiet.Select(Action).ToArray());
        var hidden = quiet.Single(e => Action(e) == "write");
        Assert.Equal(7L, hidden!["bytes"]!.GetValue<long>());
        Assert.Null(hidden!["data"]);
    }

    [Fact]
    public async Task PagesFollowTheNextCursorAndBadQueriesNameTheirField()
    {
        await using var server = await CharWebServer.StartAsync(settings: TestKeys.Settings());
        using var admin = TestKeys.Client(server, TestKeys.Admin);
        using var operatorClient = TestKeys.Client(server, TestKeys.Operator);
        await WriterSeatHubTests.CreateAsync(admin, """{"id": "rb", "backend": {"type": "ringbuf"}}""");
        for (var i = 0; i < 5; i++)
        {
            using var _ = await operatorClient.PostAsJsonAsync("/api/chardevs/rb/write", new { data = $"w{i}" }, CharWebServer.Timeout());
        }

        await WaitForAuditAsync(admin, "rb", e => e.Count == 6);
        var first = (await admin.GetFromJsonAsync<JsonObject>("/api/audit?chardev=rb&limit=4", CharWebServer.Timeout()))!;
        var next = first["next"]!.GetValue<long>();
        var second = (await admin.GetFromJsonAsync<JsonObject>($"/api/audit?chardev=rb&limit=4&after={next}", CharWebServer.Timeout()))!;
        var since = (await admin.GetFromJsonAsync<JsonObject>($"/api/audit?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}", CharWebServer.Timeout()))!;

        Assert.Equal(4, first["entries"]!.AsArray().Count);
        Assert.Equal(2, second["entries"]!.AsArray().Count);
        Assert.Null(second["next"]);
        Assert.Empty(since["entries"]!.AsArray());
        Assert.Equal(6, first["entries"]!.AsArray().Concat(second["entries"]!.AsArray()).Select(e => e!["id"]!.GetValue<long>()).Distinct().Count());

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=1001", "limit"), ("after=-1", "after"), ("chardev=1bad", "chardev"), ("since=yesterday", "since") })
        {
            using var bad = await admin.GetAsync($"/api/audit?{query}", CharWebServer.Timeout());
            var problem = await Problem.ReadAsync(bad);
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest && problem.Errors.ContainsKey(field), $"{query}: {(int)bad.StatusCode} {problem.Detail}");
        }

        using var refused = await operatorClient.GetAsync("/api/audit", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    private static string Action(JsonNode? entry) => entry!["action"]!.GetValue<string>();

    /// <summary>The audit writes behind the request, so wait for the entries to be stored.</summary>
    private static async Task<List<JsonNode?>> WaitForAuditAsync(HttpClient admin, string chardev, Func<List<JsonNode?>, bool> done)
    {
        List<JsonNode?> entries = [];
        await HubConsole.UntilAsync(
            async () =>
            {
                var page = await admin.GetFromJsonAsync<JsonObject>($"/api/audit?chardev={chardev}&limit=1000", CharWebServer.Timeout());
                entries = [.. page!["entries"]!.AsArray()];
                return done(entries);
            },
            $"audit entries of {chardev}");
        return entries;
    }
}
