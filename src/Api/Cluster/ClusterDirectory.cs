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

        return (beat.IsNull ? null : JsonSerializer.Deserialize<NodeRecord>((string)beat!, ClusterJson.Options))?.Url
            ?? throw ClusterException.NodeUnreachable(node, $"its heartbeat stopped (none for {settings.Value.DeadAfterSeconds} s)");
    }
}
