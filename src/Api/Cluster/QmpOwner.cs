using System.Text;
using System.Text.Json.Nodes;
using CharWeb.Engine;

namespace CharWeb.Api.Cluster;

/// <summary>
/// <c>POST /api/qmp</c> in a cluster: a command that names a chardev another node holds is carried out there, as the
/// caller, with the body this node read; one this node or nobody holds is answered here (QMP's own errors).
/// </summary>
internal static class QmpOwner
{
    /// <summary>The commands about one chardev, and the argument that names it (QAPI's own names).</summary>
    private static readonly Dictionary<string, string> Named = new(StringComparer.Ordinal)
    {
        ["chardev-change"] = "id",
        ["chardev-remove"] = "id",
        ["chardev-send-break"] = "id",
        ["ringbuf-write"] = "device",
        ["ringbuf-read"] = "device",
    };

    /// <summary>The node other than this one that must answer <paramref name="command"/>; null: this one does.</summary>
    public static async Task<string?> OwnerAsync(
        HttpContext http, string command, JsonObject arguments, ChardevRegistry registry, IClusterNodes nodes, CancellationToken cancellationToken)
    {
        // A command another node forwarded is answered here, never sent on (one hop, as for REST).
        if (nodes.Self is null
            || !Named.TryGetValue(command, out var argument)
            || arguments[argument] is not JsonValue value || !value.TryGetValue<string>(out var id)
            || registry.TryGet(id, out _)
            || http.User.HasClaim(c => c.Type == NodeIdentityHandler.OriginClaim))
        {
            return null;
        }

        return await nodes.OwnerOfAsync(id, cancellationToken);
    }

    /// <summary>Sends the command as read to <paramref name="node"/>; its QMP answer becomes this one's.</summary>
    public static Task ForwardAsync(HttpContext http, string node, string body, IClusterNodes nodes, CancellationToken cancellationToken) =>
        nodes.ForwardAsync(http, node, Encoding.UTF8.GetBytes(body), cancellationToken);

    /// <summary>
    /// <c>query-chardev</c>'s other nodes: theirs after this node's own, in QEMU's shape (an id this node has is
    /// listed once, as its own).
    /// </summary>
    public static async Task<IEnumerable<JsonNode?>> OthersAsync(ChardevRegistry registry, IClusterNodes nodes, CancellationToken cancellationToken)
    {
        var others = (await nodes.OthersAsync(cancellationToken)).Select(c => c.Chardev);
        return others.Where(c => !registry.TryGet(c.Id, out _)).OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => (JsonNode?)new JsonObject
        {
            ["label"] = c.Id,
            ["filename"] = c.Filename,
            ["frontend-open"] = c.Consoles > 0,
        });
    }
}
