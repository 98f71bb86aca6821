using System.Security.Cryptography;
using System.Text.Json;
using CharWeb.Api.Endpoints;
using CharWeb.Engine;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// The other nodes' chardevs as this node last read them from the directory, kept between reads. Each read first asks
/// every node's version (<c>P:version:N</c>, moved with every write of N's entries) and heartbeat, one round trip;
/// only a node whose version moved has its entries read again, and only an entry whose text changed is parsed and
/// serialized again. So a list is as fresh as the directory in Redis and costs one round trip when nothing moved,
/// however many chardevs the others hold. While Redis does not answer the copy is empty: each node lists
/// its own only, never a stale picture of the others.
/// </summary>
internal sealed partial class DirectoryCopy(
    RedisConnection redis,
    IOptions<ClusterSettings> settings,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    ILogger<DirectoryCopy> logger)
{
    /// <summary>A read that takes longer is given up, and the copy answered as it was, so a slow Redis does not hold lists up.</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private readonly string? _self = settings.Value.Node;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly Lock _publishing = new();
    private DirectorySnapshot _current = DirectorySnapshot.Empty;

    /// <summary>Moved by each <see cref="Forget"/>, so a read begun before it cannot put back what it dropped.</summary>
    private long _generation;

    /// <summary>How many refreshes were asked for; a read covers every one asked before it began.</summary>
    private long _asked;

    /// <summary>The last ask the last finished read covered.</summary>
    private long _covered;

    /// <summary>The copy as last read; <see cref="Changed"/> follows each new one.</summary>
    public DirectorySnapshot Current => Volatile.Read(ref _current);

    /// <summary>A read found the directory changed, or the copy was forgotten.</summary>
    public event Action? Changed;

    /// <summary>
    /// Reads what changed since the last read, and answers the copy as it now stands; empty while Redis does not answer.
    /// Callers that ask while a read is under way share the one read after it, so a burst of lists costs two reads.
    /// </summary>
    public async Task<DirectorySnapshot> RefreshAsync(CancellationToken cancellationToken)
    {
        var asked = Interlocked.Increment(ref _asked);
        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _covered) >= asked)
            {
                // A read that began after this caller asked has finished meanwhile.
                return Current;
            }

            var covers = Volatile.Read(ref _asked);
            var generation = Interlocked.Read(ref _generation);
            var before = Current;
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            patience.CancelAfter(ReadTimeout);
            try
            {
                var now = await ReadAsync(before, patience.Token);
                if (now is not null)
                {
                    Publish(now, generation);
                }

                Volatile.Write(ref _covered, covers);
                return now ?? before;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // This node's own chardevs are served whatever Redis does.
                LogListFailed(ex);
                Forget();
                Volatile.Write(ref _covered, covers);
                return DirectorySnapshot.Empty;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Redis is slow, not gone (a lost connection drops the copy by itself): the copy as it was.
                LogReadSlow(ReadTimeout.TotalSeconds);
                Volatile.Write(ref _covered, covers);
                return before;
            }
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Drops the copy (Redis went away: what it held can no longer be told fresh).</summary>
    public void Forget()
    {
        bool dropped;
        lock (_publishing)
        {
            Interlocked.Increment(ref _generation);
            dropped = Current.Nodes.Count > 0;
            if (dropped)
            {
                Volatile.Write(ref _current, DirectorySnapshot.Empty);
            }
        }

        if (dropped)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>A new snapshot where anything changed; null: nothing did.</summary>
    private async Task<DirectorySnapshot?> ReadAsync(DirectorySnapshot before, CancellationToken cancellationToken)
    {
        var keys = redis.Keys;
        var db = redis.Database;
        var names = (await db.SetMembersAsync(keys.Nodes).WaitAsync(cancellationToken)).Select(n => (string)n!).Where(n => n != _self).Order(StringComparer.Ordinal).ToList();
        var heads = db.CreateBatch();
        var asked = names.Select(n => (Node: n, Version: heads.StringGetAsync(keys.Version(n)), Beating: heads.KeyExistsAsync(keys.Node(n)))).ToList();
        heads.Execute();

        var nodes = new NodeCopy[asked.Count];
        var stale = new List<(int At, string? Version, bool Beating, NodeCopy? Old)>();
        for (var at = 0; at < asked.Count; at++)
        {
            var (node, versionRead, beatingRead) = asked[at];
            // The version is read before the entries, so a copy never pairs a version with entries older than it.
            var version = (string?)await versionRead.WaitAsync(cancellationToken);
            var beating = await beatingRead.WaitAsync(cancellationToken);
            var old = before.Nodes.FirstOrDefault(n => n.Name == node);
            if (old is not null && version is not null && old.Version == version)
            {
                nodes[at] = old.Beating == beating ? old : old.Beat(beating, Listed);
            }
            else
            {
                stale.Add((at, version, beating, old));
            }
        }

        if (stale.Count > 0)
        {
            var bodies = db.CreateBatch();
            var reads = stale.Select(s => bodies.HashGetAllAsync(keys.Chardevs(names[s.At]))).ToList();
            bodies.Execute();
            for (var i = 0; i < stale.Count; i++)
            {
                var (at, version, beating, old) = stale[i];
                nodes[at] = NodeCopy.Read(names[at], version, beating, await reads[i].WaitAsync(cancellationToken), old, Parse, Listed);
            }
        }

        return nodes.Length == before.Nodes.Count && nodes.Zip(before.Nodes).All(p => ReferenceEquals(p.First, p.Second)) ? null : new DirectorySnapshot(nodes);
    }

    /// <summary>Makes <paramref name="snapshot"/> the copy, unless the copy was forgotten since the read began.</summary>
    private void Publish(DirectorySnapshot snapshot, long generation)
    {
        lock (_publishing)
        {
            if (Interlocked.Read(ref _generation) != generation)
            {
                return;
            }

            Volatile.Write(ref _current, snapshot);
        }

        Changed?.Invoke();
    }

    private ChardevResponse? Parse(string node, string entry)
    {
        try
        {
            return JsonSerializer.Deserialize<ChardevResponse>(entry, json.Value.SerializerOptions) is { } chardev ? chardev with { Node = node } : null;
        }
        catch (JsonException ex)
        {
            // A node of another version may list a backend this one does not know.
            LogUnreadable(node, ex);
            return null;
        }
    }

    /// <summary>The chardev as this node lists it: <c>unreachable</c> while its owner's heartbeat is missing; serialized once, here.</summary>
    private ListedChardev Listed(ChardevResponse chardev, bool beating)
    {
        var shown = beating ? chardev : chardev with { State = ChardevState.Unreachable, Connected = false };
        return new ListedChardev(shown, JsonSerializer.SerializeToUtf8Bytes(shown, json.Value.SerializerOptions));
    }

    /// <summary>A fresh version for a node's rebuilt entries: never one an old copy could hold for other entries.</summary>
    public static long FreshVersion() => (long)(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))) >> 2);
}

/// <summary>The other nodes' chardevs at one read: by node, and all of them in list order (id, then node).</summary>
internal sealed class DirectorySnapshot
{
    private static readonly Comparer<ListedChardev> ByListOrder = Comparer<ListedChardev>.Create((a, b) => ChardevListResult.Order(a.Chardev, b.Chardev));

    public static readonly DirectorySnapshot Empty = new([]);

    public DirectorySnapshot(IReadOnlyList<NodeCopy> nodes)
    {
        Nodes = nodes;
        Listed = [.. nodes.SelectMany(n => n.Entries.Values.Select(e => e.Listed)).Order(ByListOrder)];
        Chardevs = [.. Listed.Select(c => c.Chardev)];
    }

    public IReadOnlyList<NodeCopy> Nodes { get; }

    public IReadOnlyList<ListedChardev> Listed { get; }

    public IReadOnlyList<ChardevResponse> Chardevs { get; }
}

/// <summary>One other node's entries at <see cref="Version"/>: each entry's text as read, parsed, and as listed.</summary>
internal sealed record NodeCopy(string Name, string? Version, bool Beating, IReadOnlyDictionary<string, NodeEntry> Entries)
{
    public static NodeCopy Read(
        string node, string? version, bool beating, HashEntry[] entries, NodeCopy? old,
        Func<string, string, ChardevResponse?> parse, Func<ChardevResponse, bool, ListedChardev> listed)
    {
        var read = new Dictionary<string, NodeEntry>(entries.Length, StringComparer.Ordinal);
        var same = old is not null && old.Beating == beating && old.Version == version && old.Entries.Count == entries.Length;
        foreach (var entry in entries)
        {
            var (id, text) = ((string)entry.Name!, (string)entry.Value!);
            if (old is not null && old.Entries.TryGetValue(id, out var kept) && kept.Text == text)
            {
                read[id] = old.Beating == beating ? kept : kept with { Listed = listed(kept.Chardev, beating) };
                continue;
            }

            same = false;
            if (parse(node, text) is { } chardev)
            {
                read[id] = new NodeEntry(text, chardev, listed(chardev, beating));
            }
        }

        // Nothing moved (a node that keeps no version is read each time): the old copy stands, and no change is told.
        return same ? old! : new NodeCopy(node, version, beating, read);
    }

    /// <summary>The same entries with the owner's heartbeat come or gone.</summary>
    public NodeCopy Beat(bool beating, Func<ChardevResponse, bool, ListedChardev> listed) =>
        this with { Beating = beating, Entries = Entries.ToDictionary(e => e.Key, e => e.Value with { Listed = listed(e.Value.Chardev, beating) }, StringComparer.Ordinal) };
}

/// <summary>An entry of the directory: its text as the owner wrote it, parsed, and as this node lists it.</summary>
internal sealed record NodeEntry(string Text, ChardevResponse Chardev, ListedChardev Listed);
