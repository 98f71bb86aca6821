using System.Text.Json;
using System.Threading.Channels;
using CharWeb.Api.Access;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// API keys made on one node work on every node: each node keeps the hashes of the keys its API made in
/// <c>P:apikeys:NODE</c> (rewritten whole when one is made or revoked, and after Redis comes back) and announces it;
/// every node reads the others' on an announcement and on each heartbeat, so a revoked key stops working everywhere
/// at once, or within a heartbeat if the announcement is lost. Only hashes cross: no node ever holds another's key.
/// </summary>
internal sealed partial class ClusterApiKeys(
    RedisConnection redis, ApiKeyStore keys, IOptions<ClusterSettings> settings, TimeProvider time, ILogger<ClusterApiKeys> logger) : BackgroundService
{
    private readonly string _node = settings.Value.Node!;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private int _publish = 1;
    private bool _subscribed;
    private bool _failing;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        keys.Changed += OnMade;
        redis.Restored += OnMade;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        keys.Changed -= OnMade;
        redis.Restored -= OnMade;
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SubscribeAsync(stoppingToken);
                if (Interlocked.Exchange(ref _publish, 0) == 1)
                {
                    await PublishAsync(stoppingToken);
                }

                keys.AcceptElsewhere(await ReadElsewhereAsync(stoppingToken));
                _failing = false;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The keys accepted before stay until Redis answers again; this node's own are written again then.
                Interlocked.Exchange(ref _publish, 1);
                if (!_failing)
                {
                    _failing = true;
                    LogSharingFailed(ex);
                }
            }

            using var beat = new CancellationTokenSource(settings.Value.Heartbeat, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, beat.Token);
            try
            {
                await _wake.Reader.ReadAsync(either.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // A heartbeat passed: read the others' again, in case an announcement was missed.
            }
        }
    }

    private void OnMade()
    {
        Interlocked.Exchange(ref _publish, 1);
        _wake.Writer.TryWrite(true);
    }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        var made = keys.Made;
        var replace = redis.Database.CreateTransaction();
        _ = replace.KeyDeleteAsync(redis.Keys.ApiKeys(_node));
        if (made.Count > 0)
        {
            _ = replace.HashSetAsync(redis.Keys.ApiKeys(_node), made.Select(p => new HashEntry(p.Key, JsonSerializer.Serialize(SharedApiKey.From(p.Value), ClusterJson.Options))).ToArray());
        }

        await replace.ExecuteAsync().WaitAsync(cancellationToken);
        await redis.Subscriber.PublishAsync(redis.Keys.ApiKeysChanged, _node).WaitAsync(cancellationToken);
    }

    private async Task<IReadOnlyDictionary<string, ApiKey>> ReadElsewhereAsync(CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var nodes = (await db.SetMembersAsync(redis.Keys.Nodes).WaitAsync(cancellationToken)).Select(n => (string)n!).Where(n => n != _node).ToList();
        var batch = db.CreateBatch();
        var reads = nodes.Select(n => batch.HashGetAllAsync(redis.Keys.ApiKeys(n))).ToList();
        batch.Execute();
        var accepted = new Dictionary<string, ApiKey>(StringComparer.Ordinal);
        foreach (var read in reads)
        {
            foreach (var entry in await read.WaitAsync(cancellationToken))
            {
                if (Read(entry.Value) is { } key)
                {
                    accepted[(string)entry.Name!] = key;
                }
            }
        }

        return accepted;
    }

    private ApiKey? Read(RedisValue value)
    {
        try
        {
            return JsonSerializer.Deserialize<SharedApiKey>((string)value!, ClusterJson.Options)?.ToKey();
        }
        catch (JsonException ex)
        {
            LogUnreadable(ex);
            return null;
        }
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        if (!_subscribed)
        {
            await redis.Subscriber.SubscribeAsync(redis.Keys.ApiKeysChanged, (_, node) =>
            {
                if (node != _node)
                {
                    _wake.Writer.TryWrite(true);
                }
            }).WaitAsync(cancellationToken);
            _subscribed = true;
        }
    }

    /// <summary>What the other nodes learn of a key: who it is and what it may do, never the key.</summary>
    private sealed record SharedApiKey(string Name, string Role, DateTimeOffset? CreatedAt, string? CreatedBy)
    {
        public static SharedApiKey From(ApiKey key) => new(key.Name, Identity.Name(key.Role), key.CreatedAt, key.CreatedBy);

        public ApiKey? ToKey() => Identity.Parse(Role) is { } role ? new ApiKey(Name, role, [], ApiKeySource.Api, CreatedAt, CreatedBy) : null;
    }
}
