using System.Collections.Concurrent;
using CharWeb.Engine;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Chardev ids unique across the installation: a node holds an id in <c>P:ids</c> (one <c>HSETNX</c>, so of two
/// nodes racing for it one wins) before it creates the chardev, and gives it back when the chardev goes.
/// </summary>
internal sealed partial class RedisIdReservations(RedisConnection redis, IOptions<ClusterSettings> settings, ILogger<RedisIdReservations> logger) : IChardevIdReservations
{
    // Only the holder's own claim is taken back, and its directory entry goes with it.
    private static readonly LuaScript ReleaseScript = LuaScript.Prepare(
        "if redis.call('HGET', @ids, @id) == @node then redis.call('HDEL', @ids, @id) end redis.call('HDEL', @chardevs, @id) return 1");

    private readonly string _node = settings.Value.Node!;
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);

    /// <summary>Whether this node holds <paramref name="id"/> (reserved for a create, or claimed back for a chardev it has).</summary>
    public bool Holds(string id) => _held.ContainsKey(id);

    public async Task ReserveAsync(string id, CancellationToken cancellationToken)
    {
        var keys = redis.Keys;
        string? holder;
        try
        {
            var db = redis.Database;
            // Marked first: a rebuild running meanwhile must not take a claim in flight for stale.
            _held[id] = 0;
            if (await db.HashSetAsync(keys.Ids, id, _node, When.NotExists).WaitAsync(cancellationToken))
            {
                return;
            }

            holder = await db.HashGetAsync(keys.Ids, id).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _held.TryRemove(id, out _);
            throw ClusterException.RedisUnavailable(ex);
        }
        catch
        {
            _held.TryRemove(id, out _);
            throw;
        }

        // Ours already: left behind by a crash before it was given back, and the local ledger just said no chardev has it.
        if (holder == _node)
        {
            return;
        }

        _held.TryRemove(id, out _);
        throw new ChardevException(ChardevErrorKind.Conflict, $"chardev '{id}' already exists on node '{holder}'", [new FieldError("id", $"'{id}' is already in use on node '{holder}'")])
        {
            ChardevId = id,
        };
    }

    public async Task ReleaseAsync(string id, CancellationToken cancellationToken)
    {
        _held.TryRemove(id, out _);
        try
        {
            var keys = redis.Keys;
            await redis.Database.ScriptEvaluateAsync(ReleaseScript, new { ids = keys.Ids, chardevs = keys.Chardevs(_node), id, node = _node });
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The next rebuild of the directory drops claims of this node that no chardev has.
            LogReleaseFailed(id, ex);
        }
    }

    /// <summary>
    /// After (re)connecting: claims every id this node has, and gives back claims of this node that no chardev
    /// (and no create in flight) has. Answers the ids whose claim this node holds; the others belong to another node.
    /// </summary>
    public async Task<IReadOnlySet<string>> ReclaimAsync(IReadOnlyCollection<string> local, CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var keys = redis.Keys;
        var batch = db.CreateBatch();
        var claims = local.Select(id => (id, claim: batch.HashSetAsync(keys.Ids, id, _node, When.NotExists))).ToList();
        batch.Execute();
        await Task.WhenAll(claims.Select(c => c.claim)).WaitAsync(cancellationToken);

        var held = new HashSet<string>(claims.Where(c => c.claim.Result).Select(c => c.id), StringComparer.Ordinal);
        var all = await db.HashGetAllAsync(keys.Ids).WaitAsync(cancellationToken);
        var localIds = local.ToHashSet(StringComparer.Ordinal);
        foreach (var entry in all)
        {
            string id = entry.Name!;
            string holder = entry.Value!;
            if (holder == _node && localIds.Contains(id))
            {
                held.Add(id);
            }
            else if (holder == _node && !_held.ContainsKey(id))
            {
                await db.ScriptEvaluateAsync(ReleaseScript, new { ids = keys.Ids, chardevs = keys.Chardevs(_node), id, node = _node });
            }
            else if (holder != _node && localIds.Contains(id))
            {
                LogHeldElsewhere(id, holder);
            }
        }

        foreach (var id in held)
        {
            _held[id] = 0;
        }

        foreach (var id in localIds.Where(id => !held.Contains(id)))
        {
            _held.TryRemove(id, out _);
        }

        return held;
    }
}
