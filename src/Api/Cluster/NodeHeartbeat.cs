using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// This node's membership: connects to Redis, then every <see cref="ClusterSettings.HeartbeatSeconds"/> writes its
/// <see cref="NodeRecord"/> under a key that expires after <see cref="ClusterSettings.DeadAfterSeconds"/>. A node that
/// dies stops writing, its key expires, and the others list its chardevs <c>unreachable</c>.
/// </summary>
internal sealed partial class NodeHeartbeat(RedisConnection redis, IOptions<ClusterSettings> settings, TimeProvider time, ILogger<NodeHeartbeat> logger)
    : BackgroundService
{
    private readonly ClusterSettings _settings = settings.Value;
    private readonly string _record = JsonSerializer.Serialize(
        new NodeRecord(settings.Value.Node!, settings.Value.Url!, time.GetUtcNow()), ClusterJson.Options);

    private bool _failing;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await redis.ConnectAsync(cancellationToken);
        LogJoining(_settings.Node!, _settings.Url!);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_settings.Heartbeat, time);
        var joined = false;
        do
        {
            try
            {
                var db = redis.Database;
                var beat = db.StringSetAsync(redis.Keys.Node(_settings.Node!), _record, _settings.DeadAfter);
                var member = db.SetAddAsync(redis.Keys.Nodes, _settings.Node);
                await Task.WhenAll(beat, member).WaitAsync(stoppingToken);
                if (await member && joined)
                {
                    // Forgotten (DELETE /api/cluster/nodes/NAME) while this node could not beat: its entries, ids and keys go back.
                    LogRejoined(_settings.Node!);
                    redis.Rejoined();
                }

                joined = true;
                if (_failing)
                {
                    _failing = false;
                    LogBeating();
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (!_failing)
                {
                    _failing = true;
                    LogBeatFailed(ex);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // A node that stops on purpose says so at once rather than after DeadAfterSeconds.
            await redis.Database.KeyDeleteAsync(redis.Keys.Node(_settings.Node!)).WaitAsync(cancellationToken);
            await redis.Subscriber.PublishAsync(redis.Keys.Directory, _settings.Node).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            LogBeatFailed(ex);
        }
    }
}
