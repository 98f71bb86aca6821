using System.Threading.Channels;
using CharWeb.Api.Endpoints;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Keeps the <see cref="DirectoryCopy"/> fresh for the page's list: reads it again when a node announces a directory
/// write on <c>P:directory</c> (so a change shows at once), on every heartbeat (a node that dies announces nothing: its
/// heartbeat key just expires) and when Redis is back; drops it when Redis goes. Announcements that arrive during a
/// read are folded into one more read, so a busy cluster costs at most one read in flight.
/// </summary>
internal sealed partial class DirectoryWatch(
    RedisConnection redis,
    DirectoryCopy copy,
    IOptions<ClusterSettings> settings,
    TimeProvider time,
    ILogger<DirectoryWatch> logger) : BackgroundService, IClusterListing
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private bool _subscribed;

    public IReadOnlyList<ChardevResponse> Others => copy.Current.Chardevs;

    public event Action? Changed
    {
        add => copy.Changed += value;
        remove => copy.Changed -= value;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        redis.Lost += copy.Forget;
        redis.Restored += Wake;
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await SubscribeAsync(stoppingToken);
            await copy.RefreshAsync(stoppingToken);

            using var beat = new CancellationTokenSource(settings.Value.Heartbeat, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, beat.Token);
            try
            {
                await _wake.Reader.ReadAsync(either.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // A heartbeat passed: read again, for the nodes whose heartbeat expired meanwhile.
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.Lost -= copy.Forget;
        redis.Restored -= Wake;
        await base.StopAsync(cancellationToken);
        if (_subscribed)
        {
            try
            {
                await redis.Subscriber.UnsubscribeAsync(redis.Keys.Directory).WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
            {
                LogSubscribeFailed(ex);
            }
        }
    }

    /// <summary>Until Redis first answers there is nothing to subscribe to; once made, the subscription outlives reconnects.</summary>
    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        if (_subscribed)
        {
            return;
        }

        try
        {
            await redis.Subscriber.SubscribeAsync(redis.Keys.Directory, (_, node) =>
            {
                if (node != settings.Value.Node)
                {
                    Wake();
                }
            }).WaitAsync(cancellationToken);
            _subscribed = true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(ex);
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);
}
