using System.Net;
using System.Net.Http.Json;
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

        // It lives on b (b's own REST has it) and not on a; a lists it as b's.
        var onB = await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/made-via-a", CharWebServer.Timeout());
        Assert.Equal(("b", 1024), (onB!["node"]!.GetValue<string>(), onB["history"]!.GetValue<int>()));
        using (var onA = await cluster["a"].Http.GetAsync("/api/chardevs/made-via-a", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NotFound, onA.StatusCode);
        }

        await HubConsole.UntilAsync(async () => (await ClusterNodes.ListedAsync(cluster["a"], "made-via-a"))?["node"]?.GetValue<string>() == "b", "a lists made-via-a on b");

        // b acted as the caller, and knows it came through a; a's audit names both nodes.
        var auditB = await AuditAsync(cluster["b"], "made-via-a");
        Assert.Equal(("loopback", "loopback via node a"), (auditB!["user"]!.GetValue<string>(), auditB["via"]!.GetValue<string>()));
        var auditA = await AuditAsync(cluster["a"], "made-via-a");
        Assert.Equal("testdev, on node b from node a", auditA!["detail"]!.GetValue<string>());
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

    private static async Task<JsonObject?> AuditAsync(Reliability.PublishedServer node, string chardev)
    {
        JsonObject? entry = null;
        await HubConsole.UntilAsync(
            async () =>
            {
                var page = await node.Http.GetFromJsonAsync<JsonObject>($"/api/audit?chardev={chardev}", CharWebServer.Timeout());
                entry = page!["entries"]!.AsArray().Select(e => e!.AsObject()).FirstOrDefault(e => e["action"]!.GetValue<string>() == "create");
                return entry is not null;
            },
            $"the audit of {chardev} has its create");
        return entry;
    }
}
