using System.Text.Json;
using System.Threading.Channels;
using CharWeb.Api.Endpoints;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Reads the other nodes' chardevs again when one announces a directory write on <c>P:directory</c> (so a change shows
/// at once) and on every heartbeat (a node that dies announces nothing: its heartbeat key just expires). Announcements
/// that arrive during a read are folded into one more read, so a busy cluster costs at most one read in flight.
/// </summary>
internal sealed partial class DirectoryWatch(
    RedisConnection redis,
    ClusterDirectory directory,
    IOptions<ClusterSettings> settings,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    TimeProvider time,
    ILogger<DirectoryWatch> logger) : BackgroundService, IClusterListing
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private IReadOnlyList<ChardevResponse> _others = [];
    private bool _subscribed;

    public IReadOnlyList<ChardevResponse> Others => Volatile.Read(ref _others);

    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = "";
        while (!stoppingToken.IsCancellationRequested)
        {
            await SubscribeAsync(stoppingToken);
            var others = await directory.OthersAsync(stoppingToken);
            var now = JsonSerializer.Serialize(others, json.Value.SerializerOptions);
            if (now != last)
            {
                last = now;
                Volatile.Write(ref _others, others);
                Changed?.Invoke();
            }

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
                    _wake.Writer.TryWrite(true);
                }
            }).WaitAsync(cancellationToken);
            _subscribed = true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(ex);
        }
    }
}
