using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// This node's one connection to Redis. It never fails the start: StackExchange.Redis keeps trying in the
/// background, and <see cref="Restored"/> says when it is back, so the directory can be rebuilt.
/// </summary>
internal sealed partial class RedisConnection(IOptions<ClusterSettings> settings, ILogger<RedisConnection> logger) : IAsyncDisposable
{
    private ConnectionMultiplexer? _multiplexer;

    public ClusterKeys Keys { get; } = new(settings.Value.Prefix);

    /// <summary>The connection that carries commands to Redis failed (it is tried again in the background).</summary>
    public event Action? Lost;

    /// <summary>
    /// What this node keeps in Redis must be written again: the connection came back after a failure (Redis may have
    /// restarted empty), or the cluster forgot this node while it could not beat (<see cref="Rejoined"/>).
    /// </summary>
    public event Action? Restored;

    /// <summary>The heartbeat found this node no longer a member: it was forgotten, and joins again.</summary>
    public void Rejoined() => Restored?.Invoke();

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(settings.Value.Redis!);
        options.AbortOnConnectFail = false;
        // While Redis is away a call fails at once rather than queueing: this node goes on serving its own chardevs.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // Back within seconds of Redis, so the directory is rebuilt soon after.
        options.ReconnectRetryPolicy = new ExponentialRetry(500, 5000);
        options.ClientName = "charweb-" + settings.Value.Node;
        _multiplexer = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
        _multiplexer.ConnectionFailed += (_, e) =>
        {
            LogLost(e.EndPoint?.ToString(), e.FailureType, e.Exception);
            // The subscription's own connection failing loses no command: only announcements, read again on the heartbeat.
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Lost?.Invoke();
            }
        };
        _multiplexer.ConnectionRestored += (_, e) =>
        {
            LogRestored(e.EndPoint?.ToString());
            Restored?.Invoke();
        };
    }

    /// <summary>The database; a <see cref="RedisConnectionException"/> while Redis does not answer.</summary>
    public IDatabase Database => (_multiplexer ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "not connected to Redis yet")).GetDatabase();

    /// <summary>Publish and subscribe; subscriptions come back by themselves after Redis does.</summary>
    public ISubscriber Subscriber => (_multiplexer ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "not connected to Redis yet")).GetSubscriber();

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is not null)
        {
            await _multiplexer.DisposeAsync();
        }
    }
}
