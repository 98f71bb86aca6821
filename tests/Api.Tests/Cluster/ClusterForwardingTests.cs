using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>A request for another node is carried out there, as the caller, and both nodes say so.</summary>
public sealed class ClusterForwardingTests
{
    [Fact]
    public async Task CreatingWithNodeBThroughALandsOnB()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using var created = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "made-via-a", "node": "b", "history": 1024, "backend": {"type": "testdev"}}""");
        var body = await created.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"create through a answered {(int)created.StatusCode}: {body}");
        Assert.Equal("b", JsonNode.Parse(body)!["node"]!.GetValue<string>());
        Assert.Equal("/api/chardevs/made-via-a", created.Headers.Location?.OriginalString);

        // It lives on b (b's own REST has it), and a answers for it from b.
        var onB = await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/made-via-a", CharWebServer.Timeout());
        Assert.Equal(("b", 1024), (onB!["node"]!.GetValue<string>(), onB["history"]!.GetValue<int>()));
        var throughA = await cluster["a"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/made-via-a", CharWebServer.Timeout());
        Assert.Equal("b", throughA!["node"]!.GetValue<string>());

        await HubConsole.UntilAsync(async () => (await ClusterNodes.ListedAsync(cluster["a"], "made-via-a"))?["node"]?.GetValue<string>() == "b", "a lists made-via-a on b");

        // b acted as the caller, and knows it came through a; a's audit names both nodes.
        var auditB = await ClusterNodes.AuditAsync(cluster["b"], "made-via-a");
        Assert.Equal(("loopback", "loopback via node a"), (auditB!["user"]!.GetValue<string>(), auditB["via"]!.GetValue<string>()));
        var auditA = await ClusterNodes.AuditAsync(cluster["a"], "made-via-a");
        Assert.Equal("testdev, on node b from node a", auditA!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task RestCallsForBsChardevThroughAAreCarriedOutOnB()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        var a = cluster["a"].Http;
        using (var created = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "rb", "node": "b", "backend": {"type": "ringbuf", "size": 4096}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var got = await a.GetFromJsonAsync<JsonObject>("/api/chardevs/rb", CharWebServer.Timeout());
        Assert.Equal("b", got!["node"]!.GetValue<string>());

        using (var written = await a.PostAsJsonAsync("/api/chardevs/rb/write", new { data = "hello" }, CharWebServer.Timeout()))
        {
            Assert.Equal(5, (await written.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["accepted"]!.GetValue<int>());
        }

        var read = await a.GetFromJsonAsync<JsonObject>("/api/chardevs/rb/read?size=100&format=utf8", CharWebServer.Timeout());
        Assert.Equal("hello", read!["data"]!.GetValue<string>());
        Assert.Equal(5, (await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/rb", CharWebServer.Timeout()))!["stats"]!["inputBytes"]!.GetValue<long>());

        using (var changed = await a.PutAsJsonAsync("/api/chardevs/rb/backend", new { type = "ringbuf", size = 8192 }, CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        Assert.Equal(8192, (await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/rb", CharWebServer.Timeout()))!["backend"]!["size"]!.GetValue<int>());
        using (var removed = await a.DeleteAsync("/api/chardevs/rb", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        using (var gone = await cluster["b"].Http.GetAsync("/api/chardevs/rb", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        // b audited each act as the caller through a; a audited each forward naming both nodes.
        var onB = await ClusterNodes.AuditAsync(cluster["b"], "rb", "remove");
        Assert.Equal("loopback via node a", onB!["via"]!.GetValue<string>());
        var onA = await ClusterNodes.AuditAsync(cluster["a"], "rb", "forward");
        Assert.Contains("on node b from node a", onA!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARawConsoleThroughAEchoesFromBsTestdev()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(cluster["a"].BaseAddress) { Scheme = "ws", Path = "/ws/chardevs/demo-b" }.Uri, CharWebServer.Timeout());
        await socket.SendAsync("ping-through-a"u8.ToArray(), WebSocketMessageType.Binary, true, CharWebServer.Timeout());

        var echoed = new MemoryStream();
        var buffer = new byte[4096];
        while (!Encoding.ASCII.GetString(echoed.ToArray()).Contains("ping-through-a", StringComparison.Ordinal))
        {
            var frame = await socket.ReceiveAsync(buffer, CharWebServer.Timeout());
            Assert.NotEqual(WebSocketMessageType.Close, frame.MessageType);
            if (frame.MessageType == WebSocketMessageType.Binary)
            {
                echoed.Write(buffer, 0, frame.Count);
            }
        }

        // The console is b's: b lists it attached.
        var onB = await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/demo-b", CharWebServer.Timeout());
        Assert.Equal(1, onB!["consoles"]!.GetValue<int>());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CharWebServer.Timeout());
    }

    [Fact]
    public async Task CreatingOnANodeThatNeverJoinedNamesTheNode()
    {
        await using var cluster = await ClusterNodes.StartAsync("a");
        using var created = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "nowhere", "node": "zed", "backend": {"type": "null"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        var problem = await Problem.ReadAsync(created);
        Assert.Contains("zed", Assert.Single(problem.Errors["node"]));
    }

    [Fact]
    public async Task CreatingOnADeadNodeIsBadGateway()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await cluster["b"].KillAsync();
        await HubConsole.UntilAsync(
            async () => (await ClusterNodes.ListedAsync(cluster["a"], "demo-b"))?["state"]?.GetValue<string>() == "unreachable", "a sees b dead", seconds: 10);

        using var created = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "late", "node": "b", "backend": {"type": "null"}}""");
        Assert.Equal(HttpStatusCode.BadGateway, created.StatusCode);
        var problem = await Problem.ReadAsync(created);
        Assert.Equal("urn:charweb:problem:node-unreachable", problem.Type);
        Assert.Contains("'b'", Assert.Single(problem.Errors["node"]));
    }
}
