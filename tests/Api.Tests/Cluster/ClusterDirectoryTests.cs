using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>Two nodes on one Redis list each other's chardevs, keep ids unique, and notice a dead node.</summary>
public sealed class ClusterDirectoryTests
{
    [Fact]
    public async Task NodeAListsNodeBsChardevsWithNodeB()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using (var created = await ClusterNodes.CreateAsync(cluster["b"], """{"id": "rb-on-b", "backend": {"type": "ringbuf", "size": 4096}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var written = await cluster["b"].Http.PostAsJsonAsync("/api/chardevs/rb-on-b/write", new { data = "hello" }, CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        }

        // Stats reach the directory with the next heartbeat of b.
        JsonObject? listed = null;
        await HubConsole.UntilAsync(
            async () => (listed = await ClusterNodes.ListedAsync(cluster["a"], "rb-on-b")) is not null && listed["stats"]!["inputBytes"]!.GetValue<long>() == 5,
            "a lists b's rb-on-b with the 5 bytes written into it");

        Assert.Equal("b", listed!["node"]!.GetValue<string>());
        Assert.Equal("open", listed["state"]!.GetValue<string>());
        Assert.Equal("ringbuf", listed["backend"]!["type"]!.GetValue<string>());
        var onA = await ClusterNodes.ListAsync(cluster["a"]);
        Assert.Equal("a", onA.Single(c => c!["id"]!.GetValue<string>() == "demo-a")!["node"]!.GetValue<string>());
        Assert.Equal("b", onA.Single(c => c!["id"]!.GetValue<string>() == "demo-b")!["node"]!.GetValue<string>());
        // One list in id order, whichever node holds each.
        var ids = onA.Select(c => c!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(["demo-a", "demo-b", "rb-on-b"], ids);

        // Removed on b: gone from a's list too.
        using (var removed = await cluster["b"].Http.DeleteAsync("/api/chardevs/rb-on-b", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        await HubConsole.UntilAsync(async () => await ClusterNodes.ListedAsync(cluster["a"], "rb-on-b") is null, "a no longer lists the removed rb-on-b");
    }

    [Fact]
    public async Task AnIdTakenOnOneNodeIsAConflictOnAnother()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using (var created = await ClusterNodes.CreateAsync(cluster["b"], """{"id": "shared", "backend": {"type": "null"}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var duplicate = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "shared", "backend": {"type": "ringbuf"}}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
            var problem = await Problem.ReadAsync(duplicate);
            Assert.Contains("node 'b'", Assert.Single(problem.Errors["id"]));
        }

        // Nothing half-created on a: asked there, it is b's null chardev, and a lists only b's.
        var throughA = await cluster["a"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/shared", CharWebServer.Timeout());
        Assert.Equal(("b", "null"), (throughA!["node"]!.GetValue<string>(), throughA["backend"]!["type"]!.GetValue<string>()));

        var listed = (await ClusterNodes.ListAsync(cluster["a"])).Where(c => c!["id"]!.GetValue<string>() == "shared").ToList();
        Assert.Equal("b", Assert.Single(listed)!["node"]!.GetValue<string>());

        // Removed on b, the id is free for a.
        using (var removed = await cluster["b"].Http.DeleteAsync("/api/chardevs/shared", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        using var again = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "shared", "backend": {"type": "ringbuf"}}""");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("a", (await again.Content.ReadFromJsonAsync<JsonObject>(CharWebServer.Timeout()))!["node"]!.GetValue<string>());
    }

    [Fact]
    public async Task AFailedCreateGivesTheIdBack()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        // A socket server on the port a's own HTTP listens on: valid, so the id is reserved, then its bind fails.
        var taken = cluster["a"].BaseAddress.Port;
        using (var refused = await ClusterNodes.CreateAsync(cluster["a"], $$$"""{"id": "flaky", "backend": {"type": "socket", "addr": {"type": "inet", "host": "127.0.0.1", "port": {{{taken}}}}, "server": true}}"""))
        {
            Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)refused.StatusCode}: {await refused.Content.ReadAsStringAsync(CharWebServer.Timeout())}");
        }

        using var onB = await ClusterNodes.CreateAsync(cluster["b"], """{"id": "flaky", "backend": {"type": "null"}}""");
        Assert.Equal(HttpStatusCode.Created, onB.StatusCode);
    }

    [Fact]
    public async Task AKilledNodesChardevsAreUnreachableWithinTenSecondsAndBackWhenItIs()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        using (var created = await ClusterNodes.CreateAsync(cluster["b"], """{"id": "kept", "backend": {"type": "null"}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await HubConsole.UntilAsync(
            async () => (await ClusterNodes.ListedAsync(cluster["a"], "kept"))?["state"]?.GetValue<string>() == "open",
            "a lists b's kept open");

        await cluster["b"].KillAsync();
        var killed = Stopwatch.StartNew();
        await HubConsole.UntilAsync(
            async () => (await ClusterNodes.ListedAsync(cluster["a"], "kept"))?["state"]?.GetValue<string>() == "unreachable",
            "a lists the killed b's kept unreachable",
            seconds: 10);

        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(10), $"took {killed.Elapsed}");
        Assert.Equal("unreachable", (await ClusterNodes.ListedAsync(cluster["a"], "demo-b"))!["state"]!.GetValue<string>());
        Assert.Equal("open", (await ClusterNodes.ListedAsync(cluster["a"], "demo-a"))!["state"]!.GetValue<string>());

        // Back with its data folder: its stored chardev is listed open again, and still b's.
        await cluster.StartNodeAsync("b");
        await HubConsole.UntilAsync(
            async () => (await ClusterNodes.ListedAsync(cluster["a"], "kept"))?["state"]?.GetValue<string>() == "open",
            "a lists the restarted b's kept open again");
        using var duplicate = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "kept", "backend": {"type": "null"}}""");
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }

    [Fact]
    public async Task WithRedisDownEachNodeServesItsOwnAndTheDirectoryIsRebuiltWhenRedisIsBack()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await HubConsole.UntilAsync(async () => await ClusterNodes.ListedAsync(cluster["a"], "demo-b") is not null, "a lists b's demo-b");

        await cluster.StopRedisAsync();
        var own = Stopwatch.StartNew();
        Assert.NotNull(await ClusterNodes.ListedAsync(cluster["a"], "demo-a"));
        Assert.True(own.Elapsed < TimeSpan.FromSeconds(2), $"a listed its own chardevs only after {own.Elapsed} without Redis");
        using (var written = await cluster["b"].Http.PostAsJsonAsync("/api/chardevs/demo-b/write", new { data = "still here" }, CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.OK, written.StatusCode);
        }

        var degraded = await cluster["a"].Http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout());
        Assert.Equal("degraded", degraded!["status"]!.GetValue<string>());
        Assert.Contains("Redis", degraded["cluster"]!.GetValue<string>());

        // Without Redis no node can tell whether an id is free elsewhere: refused, saying why.
        using (var refused = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "blind", "backend": {"type": "null"}}"""))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("urn:charweb:problem:cluster-unavailable", (await Problem.ReadAsync(refused)).Type);
        }

        // An empty Redis: both nodes put their chardevs and ids back.
        await cluster.StartRedisAsync();
        await HubConsole.UntilAsync(
            async () => (await ClusterNodes.ListedAsync(cluster["a"], "demo-b"))?["state"]?.GetValue<string>() == "open", "a lists b's demo-b again");
        // b claims its ids back before it lists its chardevs, so by now the id is b's.
        using (var duplicate = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "demo-b", "backend": {"type": "null"}}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        }

        Assert.Null(await ClusterNodes.ListedAsync(cluster["a"], "blind"));
        var healthy = await cluster["a"].Http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout());
        Assert.Equal(("healthy", "ok"), (healthy!["status"]!.GetValue<string>(), healthy["cluster"]!.GetValue<string>()));
    }

    [Fact]
    public async Task NodesAreListedAndADeadOneIsForgottenWithItsChardevsAndIds()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        await HubConsole.UntilAsync(async () => await ClusterNodes.ListedAsync(cluster["a"], "demo-b") is not null, "a lists b's demo-b");
        var nodes = await NodesAsync(cluster["a"]);
        Assert.Equal(["a", "b"], nodes.Select(n => n!["name"]!.GetValue<string>()));
        var (a, b) = (nodes[0]!, nodes[1]!);
        Assert.Equal(("up", true, 1, cluster["a"].BaseAddress.ToString().TrimEnd('/')), (a["state"]!.GetValue<string>(), a["self"]!.GetValue<bool>(), a["chardevs"]!.GetValue<int>(), a["url"]!.GetValue<string>()));
        Assert.Equal(("up", false, 1), (b["state"]!.GetValue<string>(), b["self"]!.GetValue<bool>(), b["chardevs"]!.GetValue<int>()));
        Assert.NotNull(b["startedAt"]?.GetValue<DateTimeOffset>());

        // Refused, saying why: b still beats; a is the node asked; no such node; not a node name.
        await RefusedAsync(cluster["a"], "b", HttpStatusCode.Conflict, "heartbeat lasts");
        await RefusedAsync(cluster["a"], "a", HttpStatusCode.Conflict, "the node that was asked");
        await RefusedAsync(cluster["a"], "zz", HttpStatusCode.NotFound, "no node named 'zz'");
        await RefusedAsync(cluster["a"], "no%20such", HttpStatusCode.BadRequest, "not a node name");
        Assert.NotNull(await ClusterNodes.ListedAsync(cluster["a"], "demo-b"));

        // b dies for good: once unreachable it can be forgotten, and with it its chardevs and the ids it held.
        await cluster["b"].KillAsync();
        await HubConsole.UntilAsync(async () => (await NodesAsync(cluster["a"]))[1]!["state"]!.GetValue<string>() == "unreachable", "a shows b unreachable");
        var unreachable = (await NodesAsync(cluster["a"]))[1]!;
        Assert.Equal((1, null), (unreachable["chardevs"]!.GetValue<int>(), unreachable["url"]?.GetValue<string>()));
        using (var forgotten = await cluster["a"].Http.DeleteAsync("/api/cluster/nodes/b", CharWebServer.Timeout()))
        {
            Assert.Equal(HttpStatusCode.NoContent, forgotten.StatusCode);
        }

        Assert.Equal(["a"], (await NodesAsync(cluster["a"])).Select(n => n!["name"]!.GetValue<string>()));
        Assert.Null(await ClusterNodes.ListedAsync(cluster["a"], "demo-b"));
        using (var created = await ClusterNodes.CreateAsync(cluster["a"], """{"id": "demo-b", "backend": {"type": "null"}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var page = await cluster["a"].Http.GetFromJsonAsync<JsonObject>("/api/audit", CharWebServer.Timeout());
        var audited = page!["entries"]!.AsArray().Select(e => e!.AsObject()).Single(e => e["action"]!.GetValue<string>() == "forget-node");
        Assert.Equal("node b forgotten from node a; 1 ids given back", audited["detail"]!.GetValue<string>());
    }

    private static async Task<JsonArray> NodesAsync(Reliability.PublishedServer node) =>
        (await node.Http.GetFromJsonAsync<JsonArray>("/api/cluster/nodes", CharWebServer.Timeout()))!;

    private static async Task RefusedAsync(Reliability.PublishedServer via, string name, HttpStatusCode status, string reason)
    {
        using var refused = await via.Http.DeleteAsync($"/api/cluster/nodes/{name}", CharWebServer.Timeout());
        Assert.Equal(status, refused.StatusCode);
        var problem = await Problem.ReadAsync(refused);
        Assert.Contains(reason, Assert.Single(problem.Errors["name"]), StringComparison.Ordinal);
    }
}
