using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CharWeb.Api.Tests.Hubs;
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

    private readonly IReadOnlyDictionary<string, string> _extra;

    private ClusterNodes(RedisServer redis, IReadOnlyDictionary<string, string>? extra)
    {
        Redis = redis;
        _extra = extra ?? new Dictionary<string, string>();
    }

    public RedisServer Redis { get; private set; }

    /// <summary>Kills Redis (it keeps nothing: no snapshot, no append-only file).</summary>
    public async Task StopRedisAsync() => await Redis.DisposeAsync();

    /// <summary>A new, empty Redis where the old one was.</summary>
    public async Task StartRedisAsync() => Redis = await RedisServer.StartAsync(Redis.Port);

    public PublishedServer this[string node] => _nodes[node];

    public static Task<ClusterNodes> StartAsync(params string[] nodes) => StartAsync(null, nodes);

    /// <summary>Starts the nodes, each with <paramref name="extra"/> settings (environment names) besides its own.</summary>
    public static async Task<ClusterNodes> StartAsync(IReadOnlyDictionary<string, string>? extra, params string[] nodes)
    {
        var cluster = new ClusterNodes(await RedisServer.StartAsync(), extra);
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
    public Dictionary<string, string> Settings(string node, int port) => new(_extra)
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

    /// <summary>The last audit entry of <paramref name="action"/> on <paramref name="chardev"/> that <paramref name="node"/> kept, once there is one.</summary>
    public static async Task<JsonObject?> AuditAsync(PublishedServer node, string chardev, string action = "create")
    {
        JsonObject? entry = null;
        await HubConsole.UntilAsync(
            async () =>
            {
                var page = await node.Http.GetFromJsonAsync<JsonObject>($"/api/audit?chardev={chardev}", CharWebServer.Timeout());
                entry = page!["entries"]!.AsArray().Select(e => e!.AsObject()).LastOrDefault(e => e["action"]!.GetValue<string>() == action);
                return entry is not null;
            },
            $"the audit of {chardev} has a {action}");
        return entry;
    }

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
