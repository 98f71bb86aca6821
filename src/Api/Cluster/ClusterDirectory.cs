using System.Text.Json;
using CharWeb.Api.Endpoints;
using CharWeb.Engine;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// The cluster as this node reads it from Redis: which nodes there are, whether each still beats, what
/// chardevs each listed; and the way to a node, for <see cref="NodeForwarder"/>.
/// </summary>
internal sealed partial class ClusterDirectory(
    RedisConnection redis,
    DirectoryCopy copy,
    NodeForwarder forwarder,
    SignedIdentity identity,
    IOptions<Hubs.ConsoleSettings> consoles,
    ILoggerFactory loggers,
    IOptions<ClusterSettings> settings,
    ILogger<ClusterDirectory> logger) : IClusterNodes
{
    /// <summary>
    /// In one step, so a node cannot start beating half forgotten: refuses a beating (-1) or unknown (-2) node, else drops
    /// its membership, entries, version and API keys and gives back every id it held; answers how many ids.
    /// </summary>
    private const string ForgetScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
        if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return -2 end
        redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
        local ids = redis.call('HGETALL', KEYS[6])
        local released = 0
        for i = 1, #ids, 2 do
          if ids[i + 1] == ARGV[1] then
            redis.call('HDEL', KEYS[6], ids[i])
            released = released + 1
          end
        end
        return released
        """;

    public string? Self { get; } = settings.Value.Node;

    public string? Elsewhere(string? node)
    {
        if (node is null || node == Self)
        {
            return null;
        }

        return NodeNames.IsValid(node) ? node : throw ChardevException.Invalid("node", $"'{node}' is not a node name ({NodeNames.Rule})");
    }

    public async Task<string?> HealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.Database.PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return "ok";
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return $"degraded: Redis (CharWeb:Cluster:Redis) does not answer ({ex.Message}); this node serves its own chardevs";
        }
    }

    public async Task<string?> OwnerOfAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            string? holder = await redis.Database.HashGetAsync(redis.Keys.Ids, id).WaitAsync(cancellationToken);
            return holder == Self ? null : holder;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Without the directory only this node's own chardevs are served.
            LogOwnerUnknown(id, ex);
            return null;
        }
    }

    public async Task<IReadOnlyList<ListedChardev>> OthersAsync(CancellationToken cancellationToken) => (await copy.RefreshAsync(cancellationToken)).Listed;

    public async Task<IReadOnlyList<NodeResponse>> NodesAsync(CancellationToken cancellationToken)
    {
        var keys = redis.Keys;
        try
        {
            var db = redis.Database;
            var names = (await db.SetMembersAsync(keys.Nodes).WaitAsync(cancellationToken)).Select(n => (string)n!).Order(StringComparer.Ordinal).ToList();
            var batch = db.CreateBatch();
            var reads = names.Select(n => (Name: n, Beat: batch.StringGetAsync(keys.Node(n)), Chardevs: batch.HashLengthAsync(keys.Chardevs(n)))).ToList();
            batch.Execute();
            var nodes = new List<NodeResponse>(reads.Count);
            foreach (var (name, beatRead, chardevs) in reads)
            {
                var beat = await beatRead.WaitAsync(cancellationToken);
                var record = beat.IsNull ? null : Record(name, beat);
                nodes.Add(new NodeResponse(
                    name, beat.IsNull ? NodeState.Unreachable : NodeState.Up, record?.Url, record?.StartedAt, (int)await chardevs.WaitAsync(cancellationToken), name == Self));
            }

            return nodes;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw ClusterException.RedisUnavailable(ex);
        }
    }

    /// <summary>A node's heartbeat record; null when it cannot be read (a node of another version): shown without its address.</summary>
    private NodeRecord? Record(string node, RedisValue beat)
    {
        try
        {
            return JsonSerializer.Deserialize<NodeRecord>((string)beat!, ClusterJson.Options);
        }
        catch (JsonException ex)
        {
            LogUnreadableBeat(node, ex);
            return null;
        }
    }

    public async Task<int> ForgetAsync(string node, CancellationToken cancellationToken)
    {
        if (!NodeNames.IsValid(node))
        {
            throw ChardevException.Invalid("name", $"'{node}' is not a node name ({NodeNames.Rule})");
        }

        if (node == Self)
        {
            throw ClusterException.NodeAlive(node, "it is the node that was asked; stop it, then forget it from another node");
        }

        var keys = redis.Keys;
        RedisResult result;
        try
        {
            result = await redis.Database.ScriptEvaluateAsync(
                ForgetScript,
                [keys.Node(node), keys.Nodes, keys.Chardevs(node), keys.Version(node), keys.ApiKeys(node), keys.Ids],
                [node]).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw ClusterException.RedisUnavailable(ex);
        }

        var released = (int)result;
        if (released == -1)
        {
            throw ClusterException.NodeAlive(node, $"its heartbeat lasts (it beat within {settings.Value.DeadAfterSeconds} s); stop it first");
        }

        if (released == -2)
        {
            throw ClusterException.NodeUnknown(node);
        }

        try
        {
            // The others drop its chardevs and keys from their copies now rather than at their next heartbeat.
            await redis.Subscriber.PublishAsync(keys.Directory, node).WaitAsync(cancellationToken);
            await redis.Subscriber.PublishAsync(keys.ApiKeysChanged, node).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Forgotten all the same: the others see it at their next heartbeat.
            LogAnnounceFailed(node, ex);
        }

        return released;
    }

    public async Task ForwardAsync(HttpContext http, string node, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        var url = await UrlOfAsync(node, cancellationToken);
        await forwarder.SendAsync(http, node, url, body, cancellationToken);
    }

    public async Task<RemoteConsole> AttachConsoleAsync(
        System.Security.Claims.ClaimsPrincipal caller, string node, string id, bool readOnly, Func<Dictionary<string, object?>, Task> onEvent, CancellationToken cancellationToken)
    {
        var url = await UrlOfAsync(node, cancellationToken);
        var path = Hubs.ConsoleHub.Path + (readOnly ? "?readonly=1" : "");
        var hub = new Uri(url.TrimEnd('/') + path);
        return await RemoteConsole.AttachAsync(hub, node, id, identity.Sign(caller, node, HttpMethods.Get, path), consoles.Value, onEvent, loggers.CreateLogger<RemoteConsole>(), cancellationToken);
    }

    /// <summary>Where <paramref name="node"/> is reached, from its heartbeat.</summary>
    private async Task<string> UrlOfAsync(string node, CancellationToken cancellationToken)
    {
        RedisValue beat;
        bool known;
        try
        {
            var db = redis.Database;
            beat = await db.StringGetAsync(redis.Keys.Node(node)).WaitAsync(cancellationToken);
            known = !beat.IsNull || await db.SetContainsAsync(redis.Keys.Nodes, node).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw ClusterException.RedisUnavailable(ex);
        }

        if (!known)
        {
            throw ChardevException.Invalid("node", $"no node named '{node}' has joined this cluster");
        }

        return (beat.IsNull ? null : Record(node, beat))?.Url
            ?? throw ClusterException.NodeUnreachable(node, $"its heartbeat stopped (none for {settings.Value.DeadAfterSeconds} s)");
    }
}
