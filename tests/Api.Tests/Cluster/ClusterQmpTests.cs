using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;

namespace CharWeb.Api.Tests.Cluster;

/// <summary><c>POST /api/qmp</c> on one node answers for every node's chardevs, as QEMU would for its own.</summary>
public sealed class ClusterQmpTests
{
    [Fact]
    public async Task CommandsNamingBsChardevThroughAAreCarriedOutOnB()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        Assert.Equal("{}", (await QmpAsync(cluster["b"], """{"execute": "chardev-add", "arguments": {"id": "rb", "backend": {"type": "ringbuf", "data": {"size": 1024}}}}"""))["return"]!.ToJsonString());
        await HubConsole.UntilAsync(async () => await ClusterNodes.ListedAsync(cluster["a"], "rb") is not null, "a lists b's rb");

        // Write through a, read on b: the bytes went into b's ringbuf; read through a, they come back out of it.
        var written = await QmpAsync(cluster["a"], """{"execute": "ringbuf-write", "arguments": {"device": "rb", "data": "via a"}, "id": 7}""");
        Assert.Equal("""{"return":{},"id":7}""", written.ToJsonString());
        Assert.Equal(5, (await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/rb", CharWebServer.Timeout()))!["stats"]!["inputBytes"]!.GetValue<long>());
        Assert.Equal("via a", (await QmpAsync(cluster["a"], """{"execute": "ringbuf-read", "arguments": {"device": "rb", "size": 100}}"""))["return"]!.GetValue<string>());
        Assert.Equal("", (await QmpAsync(cluster["b"], """{"execute": "ringbuf-read", "arguments": {"device": "rb", "size": 100}}"""))["return"]!.GetValue<string>());

        // Break and change happen on b; b's errors are QEMU's, carried back unchanged.
        Assert.Equal("{}", (await QmpAsync(cluster["a"], """{"execute": "chardev-send-break", "arguments": {"id": "rb"}}"""))["return"]!.ToJsonString());
        Assert.Equal("{}", (await QmpAsync(cluster["a"], """{"execute": "chardev-change", "arguments": {"id": "rb", "backend": {"type": "null", "data": {}}}}"""))["return"]!.ToJsonString());
        Assert.Equal("null", (await cluster["b"].Http.GetFromJsonAsync<JsonObject>("/api/chardevs/rb", CharWebServer.Timeout()))!["backend"]!["type"]!.GetValue<string>());
        var notRingbuf = await QmpAsync(cluster["a"], """{"execute": "ringbuf-read", "arguments": {"device": "rb", "size": 1}}""");
        Assert.Equal("rb is not a ringbuf device", notRingbuf["error"]!["desc"]!.GetValue<string>());

        // a's audit names both nodes; b's names the caller via a.
        var onA = await LastAuditAsync(cluster["a"], "rb", "forward", "qmp chardev-change ");
        Assert.Equal("qmp chardev-change on node b from node a: 200", onA!["detail"]!.GetValue<string>());
        var onB = await LastAuditAsync(cluster["b"], "rb", "change");
        Assert.Equal("loopback via node a", onB!["via"]!.GetValue<string>());

        // Removed through a: gone from b.
        Assert.Equal("{}", (await QmpAsync(cluster["a"], """{"execute": "chardev-remove", "arguments": {"id": "rb"}}"""))["return"]!.ToJsonString());
        using var gone = await cluster["b"].Http.GetAsync("/api/chardevs/rb", CharWebServer.Timeout());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);

        // A chardev nobody has is QEMU's own error, answered by a.
        var missing = await QmpAsync(cluster["a"], """{"execute": "chardev-remove", "arguments": {"id": "rb"}}""");
        Assert.Equal(("GenericError", "Chardev 'rb' not found"), (missing["error"]!["class"]!.GetValue<string>(), missing["error"]!["desc"]!.GetValue<string>()));
    }

    [Fact]
    public async Task QueryChardevListsEveryNodesAndAddingAnIdBHasIsQemusDuplicate()
    {
        await using var cluster = await ClusterNodes.StartAsync("a", "b");
        Assert.Equal("{}", (await QmpAsync(cluster["b"], """{"execute": "chardev-add", "arguments": {"id": "held-by-b", "backend": {"type": "null", "data": {}}}}"""))["return"]!.ToJsonString());

        JsonArray? listed = null;
        await HubConsole.UntilAsync(
            async () => (listed = (await QmpAsync(cluster["a"], """{"execute": "query-chardev"}"""))["return"]!.AsArray()).Any(c => c!["label"]!.GetValue<string>() == "held-by-b"),
            "a's query-chardev lists b's held-by-b");
        var labels = listed!.Select(c => c!["label"]!.GetValue<string>()).ToList();
        Assert.Equal(["demo-a", "demo-b", "held-by-b"], labels.Order(StringComparer.Ordinal));
        Assert.Equal(labels.Count, labels.Distinct().Count());
        var heldByB = listed!.Single(c => c!["label"]!.GetValue<string>() == "held-by-b")!.AsObject();
        Assert.Equal(("null", false), (heldByB["filename"]!.GetValue<string>(), heldByB["frontend-open"]!.GetValue<bool>()));

        var duplicate = await QmpAsync(cluster["a"], """{"execute": "chardev-add", "arguments": {"id": "held-by-b", "backend": {"type": "ringbuf", "data": {}}}}""");
        Assert.Equal(
            ("GenericError", "attempt to add duplicate property 'held-by-b' to object (type 'container')"),
            (duplicate["error"]!["class"]!.GetValue<string>(), duplicate["error"]!["desc"]!.GetValue<string>()));
    }

    private static async Task<JsonObject> QmpAsync(Reliability.PublishedServer node, string command)
    {
        using var response = await node.Http.PostAsync("/api/qmp", new StringContent(command, Encoding.UTF8, "application/json"), CharWebServer.Timeout());
        var text = await response.Content.ReadAsStringAsync(CharWebServer.Timeout());
        Assert.True(response.IsSuccessStatusCode, $"QMP {command} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<JsonObject?> LastAuditAsync(Reliability.PublishedServer node, string chardev, string action, string detail = "")
    {
        JsonObject? entry = null;
        await HubConsole.UntilAsync(
            async () =>
            {
                var page = await node.Http.GetFromJsonAsync<JsonObject>($"/api/audit?chardev={chardev}", CharWebServer.Timeout());
                entry = page!["entries"]!.AsArray().Select(e => e!.AsObject()).LastOrDefault(e => e["action"]!.GetValue<string>() == action && (e["detail"]?.GetValue<string>() ?? "").StartsWith(detail, StringComparison.Ordinal));
                return entry is not null;
            },
            $"{node.BaseAddress} audits {action} of {chardev}");
        return entry;
    }
}
