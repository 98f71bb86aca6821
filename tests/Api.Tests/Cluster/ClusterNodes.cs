using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Reliability;

namespace CharWeb.Api.Tests.Cluster;

/// <summary>
/// A real Redis and CharWeb nodes as real processes (the published app, as <see cref="PublishedServer"/> starts it)
/// on loopback ports, sharing that Redis: one installation. Heartbeats every second, dead after three.
/// </summary>
public sealed class ClusterNodes : IAsyncDisposable
{
    public const string Secret = "a-test-secret-that-is-long-enough-0123456789";

    private readonly Dictionary<string, PublishedServer> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string DataDir, int Port)> _places = new(StringComparer.Ordinal);

    private ClusterNodes(RedisServer redis) => Redis = redis;

    public RedisServer Redis { get; private set; }

    /// <summary>Kills Redis (it keeps nothing: no snapshot, no append-only file).</summary>
    public async Task StopRedisAsync() => await Redis.DisposeAsync();

    /// <summary>A new, empty Redis where the old one was.</summary>
    public async Task StartRedisAsync() => Redis = await RedisServer.StartAsync(Redis.Port);

    public PublishedServer this[string node] => _nodes[node];

    public static async Task<ClusterNodes> StartAsync(params string[] nodes)
    {
        var cluster = new ClusterNodes(await RedisServer.StartAsync());
        try
        {
            foreach (var node in nodes)
            {
                await cluster.StartNodeAsync(node);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The settings of node <paramref name="node"/> listening on <paramref name="port"/>; its demo chardev is named <c>demo-NODE</c>.</summary>
    public Dictionary<string, string> Settings(string node, int port) => new()
    {
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["CharWeb__Cluster__Redis"] = Redis.Connection,
        ["CharWeb__Cluster__Node"] = node,
        ["CharWeb__Cluster__Url"] = $"http://127.0.0.1:{port}",
        ["CharWeb__Cluster__Secret"] = Secret,
        ["CharWeb__Cluster__HeartbeatSeconds"] = "1",
        ["CharWeb__Cluster__DeadAfterSeconds"] = "3",
        ["CharWeb__Chardevs__0__Id"] = "demo-" + node,
    };

    /// <summary>Starts <paramref name="node"/>; one started before comes back with its data folder and port.</summary>
    public async Task<PublishedServer> StartNodeAsync(string node)
    {
        if (!_places.TryGetValue(node, out var place))
        {
            _places[node] = place = (Directory.CreateTempSubdirectory($"charweb-node-{node}-").FullName, CharWebServer.FreePort());
        }

        if (_nodes.Remove(node, out var before))
        {
            await before.DisposeAsync();
        }

        var server = await PublishedServer.StartAsync(place.DataDir, Settings(node, place.Port));
        _nodes[node] = server;
        return server;
    }

    public static async Task<JsonArray> ListAsync(PublishedServer node) =>
        (await node.Http.GetFromJsonAsync<JsonArray>("/api/chardevs", CharWebServer.Timeout()))!;

    /// <summary>The chardev <paramref name="id"/> as <paramref name="node"/> lists it; null when it is not listed.</summary>
    public static async Task<JsonObject?> ListedAsync(PublishedServer node, string id) =>
        (await ListAsync(node)).Select(c => c!.AsObject()).FirstOrDefault(c => c["id"]!.GetValue<string>() == id);

    public static async Task<HttpResponseMessage> CreateAsync(PublishedServer node, string json) =>
        await node.Http.PostAsync("/api/chardevs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), CharWebServer.Timeout());

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync();
        }

        await Redis.DisposeAsync();
        foreach (var (dataDir, _) in _places.Values)
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
