using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>A cluster that could not work does not start; without Redis the server is the single node it always was.</summary>
public sealed class ClusterSettingsTests
{
    [Fact]
    public async Task RedisWithoutNodeUrlAndSecretStopsTheStartNamingEachSetting()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var server = await CharWebServer.StartAsync(settings: new Dictionary<string, string?> { ["CharWeb:Cluster:Redis"] = "127.0.0.1:1", ["CharWeb:Cluster:Secret"] = "short" });
        });

        Assert.Contains("CharWeb:Cluster:Node is required", failure.Message);
        Assert.Contains("CharWeb:Cluster:Url is required", failure.Message);
        Assert.Contains("CharWeb:Cluster:Secret must have at least 32 characters", failure.Message);
    }

    [Fact]
    public async Task ASingleNodeListsNoNodeAndRefusesOne()
    {
        await using var server = await CharWebServer.StartAsync();
        var created = await server.CreateAsync("""{"id": "solo", "backend": {"type": "null"}}""");
        Assert.Null(created["node"]);
        Assert.Null((await server.ListAsync()).Single()!["node"]);
        var health = await server.Http.GetFromJsonAsync<JsonObject>("/healthz", CharWebServer.Timeout());
        Assert.Equal("healthy", health!["status"]!.GetValue<string>());
        Assert.Null(health["cluster"]);

        using var elsewhere = await server.PostJsonAsync("/api/chardevs", """{"id": "far", "node": "b", "backend": {"type": "null"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Contains("not part of a cluster", Assert.Single((await Problem.ReadAsync(elsewhere)).Errors["node"]));
        Assert.DoesNotContain(await server.ListAsync(), c => c!["id"]!.GetValue<string>() == "far");

        // No nodes to list or forget.
        Assert.Empty((await server.Http.GetFromJsonAsync<JsonArray>("/api/cluster/nodes", CharWebServer.Timeout()))!);
        using var forget = await server.Http.DeleteAsync("/api/cluster/nodes/b", CharWebServer.Timeout());
        Assert.Equal(HttpStatusCode.BadRequest, forget.StatusCode);
        Assert.Contains("not part of a cluster", Assert.Single((await Problem.ReadAsync(forget)).Errors["name"]));
    }
}
