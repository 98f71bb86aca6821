using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

/// <summary>
/// Where the installation keeps what it shares in Redis:
/// <c>P:nodes</c> (set of every node that ever joined), <c>P:node:N</c> (N's heartbeat, a <see cref="NodeRecord"/> that expires),
/// <c>P:chardevs:N</c> (hash: id → N's chardev as listed), <c>P:version:N</c> (moved with every write of N's entries), <c>P:ids</c> (hash: id → the node that holds it), <c>P:nonce:X</c> (signed identities already used);
/// <c>P:apikeys:N</c> (hash: SHA-256 of a key N made → its name and role); channels <c>P:directory</c>, <c>P:apikeys</c> (a node's name, published when it changed its entries or left).
/// </summary>
internal sealed class ClusterKeys(string prefix)
{
    public RedisKey Nodes { get; } = $"{prefix}:nodes";

    public RedisKey Ids { get; } = $"{prefix}:ids";

    public RedisChannel Directory { get; } = RedisChannel.Literal($"{prefix}:directory");

    /// <summary>Announces that a node's API keys changed.</summary>
    public RedisChannel ApiKeysChanged { get; } = RedisChannel.Literal($"{prefix}:apikeys");

    /// <summary>Hash: SHA-256 of a key N's API made → that key's name and role (never the key itself).</summary>
    public RedisKey ApiKeys(string node) => $"{prefix}:apikeys:{node}";

    public RedisKey Node(string node) => $"{prefix}:node:{node}";

    public RedisKey Chardevs(string node) => $"{prefix}:chardevs:{node}";

    /// <summary>A number N moves (a fresh one on a rebuild, one up on a change) in the same transaction as it writes its entries.</summary>
    public RedisKey Version(string node) => $"{prefix}:version:{node}";

    /// <summary>A signed identity's nonce, kept while the signature could be valid, so it is taken once.</summary>
    public RedisKey Nonce(string nonce) => $"{prefix}:nonce:{nonce}";
}

/// <summary>What a node's heartbeat key holds.</summary>
internal sealed record NodeRecord(string Name, string Url, DateTimeOffset StartedAt);
