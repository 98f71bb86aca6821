using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using CharWeb.Api.Endpoints;
using CharWeb.Engine;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Keeps this node's chardevs in the directory (<c>P:chardevs:NODE</c>): one entry per chardev, as
/// <c>GET /api/chardevs</c> shows it. Events mark a chardev changed and wake one writer; each heartbeat the
/// stats of every chardev are compared and the changed ones written, with <c>P:version:NODE</c> moved in the same
/// transaction (so the other nodes' <see cref="DirectoryCopy"/> knows to read them again), and a write is announced on
/// <c>P:directory</c>; on every (re)connect to Redis the
/// whole entry set is rebuilt, and the ids claimed back.
/// </summary>
internal sealed partial class DirectoryWriter(
    RedisConnection redis,
    RedisIdReservations ids,
    ChardevRegistry registry,
    IOptions<ClusterSettings> settings,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    TimeProvider time,
    ILogger<DirectoryWriter> logger) : BackgroundService
{
    private readonly string _node = settings.Value.Node!;
    private readonly ConcurrentDictionary<string, byte> _changed = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>What this node last wrote for each chardev, so an unchanged one is not written again.</summary>
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);
    private int _rebuild = 1;
    private bool _failing;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        registry.EventRaised += OnEvent;
        redis.Restored += OnRestored;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        registry.EventRaised -= OnEvent;
        redis.Restored -= OnRestored;
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ticked = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (Interlocked.Exchange(ref _rebuild, 0) == 1)
                {
                    await RebuildAsync(stoppingToken);
                }
                else
                {
                    await WriteChangedAsync(ticked, stoppingToken);
                }

                if (_failing)
                {
                    _failing = false;
                    LogWriting();
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Whatever was lost meanwhile, the rebuild after it puts right.
                Interlocked.Exchange(ref _rebuild, 1);
                if (!_failing)
                {
                    _failing = true;
                    LogWriteFailed(ex);
                }
            }

            ticked = !await WokenAsync(stoppingToken);
        }
    }

    private void OnEvent(ChardevEvent e)
    {
        if (e.Kind is ChardevEventKind.Created or ChardevEventKind.Changed or ChardevEventKind.Removed or ChardevEventKind.Opened
            or ChardevEventKind.Closed or ChardevEventKind.Failed or ChardevEventKind.Consoles or ChardevEventKind.Writer)
        {
            _changed[e.ChardevId] = 0;
            _wake.Writer.TryWrite(true);
        }
    }

    private void OnRestored()
    {
        Interlocked.Exchange(ref _rebuild, 1);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>True when woken by a change, false when a heartbeat passed without one.</summary>
    private async Task<bool> WokenAsync(CancellationToken stoppingToken)
    {
        using var beat = new CancellationTokenSource(settings.Value.Heartbeat, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, beat.Token);
        try
        {
            await _wake.Reader.ReadAsync(either.Token);
            return true;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        _changed.Clear();
        var local = registry.All;
        var held = await ids.ReclaimAsync(local.Select(c => c.Id).ToList(), cancellationToken);
        var entries = local.Where(c => held.Contains(c.Id)).Select(c => (c.Id, Json: Entry(c))).ToList();

        var db = redis.Database;
        var keys = redis.Keys;
        var replace = db.CreateTransaction();
        _ = replace.KeyDeleteAsync(keys.Chardevs(_node));
        if (entries.Count > 0)
        {
            _ = replace.HashSetAsync(keys.Chardevs(_node), entries.Select(e => new HashEntry(e.Id, e.Json)).ToArray());
        }

        _ = replace.StringSetAsync(keys.Version(_node), DirectoryCopy.FreshVersion());
        _ = replace.SetAddAsync(keys.Nodes, _node);
        await replace.ExecuteAsync().WaitAsync(cancellationToken);
        await redis.Subscriber.PublishAsync(keys.Directory, _node).WaitAsync(cancellationToken);

        _written.Clear();
        foreach (var (id, entry) in entries)
        {
            _written[id] = entry;
        }

        LogRebuilt(entries.Count, local.Count - entries.Count);
    }

    /// <summary>Writes the chardevs events marked, and on a heartbeat every one whose entry changed (its stats moved).</summary>
    private async Task WriteChangedAsync(bool everyone, CancellationToken cancellationToken)
    {
        var candidates = new HashSet<string>(_changed.Keys, StringComparer.Ordinal);
        foreach (var id in candidates)
        {
            _changed.TryRemove(id, out _);
        }

        if (everyone)
        {
            candidates.UnionWith(registry.Unordered.Select(c => c.Id));
            candidates.UnionWith(_written.Keys);
        }

        var set = new List<HashEntry>();
        var gone = new List<RedisValue>();
        foreach (var id in candidates)
        {
            if (registry.TryGet(id, out var chardev) && ids.Holds(id))
            {
                var entry = Entry(chardev);
                if (!_written.TryGetValue(id, out var before) || before != entry)
                {
                    set.Add(new HashEntry(id, entry));
                    _written[id] = entry;
                }
            }
            else if (_written.Remove(id))
            {
                gone.Add(id);
            }
        }

        if (set.Count == 0 && gone.Count == 0)
        {
            return;
        }

        // The version moves with the entries, so another node's copy reads them again.
        var write = redis.Database.CreateTransaction();
        var key = redis.Keys.Chardevs(_node);
        if (set.Count > 0)
        {
            _ = write.HashSetAsync(key, set.ToArray());
        }

        if (gone.Count > 0)
        {
            _ = write.HashDeleteAsync(key, gone.ToArray());
        }

        _ = write.StringIncrementAsync(redis.Keys.Version(_node));
        await write.ExecuteAsync().WaitAsync(cancellationToken);

        // The other nodes' page lists read the directory again now rather than at their next heartbeat.
        await redis.Subscriber.PublishAsync(redis.Keys.Directory, _node).WaitAsync(cancellationToken);
    }

    private string Entry(Chardev chardev) => JsonSerializer.Serialize(ChardevResponse.From(chardev), json.Value.SerializerOptions);
}
