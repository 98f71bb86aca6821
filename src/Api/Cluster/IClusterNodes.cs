using CharWeb.Api.Endpoints;
using CharWeb.Engine;

namespace CharWeb.Api.Cluster;

/// <summary>
/// The nodes besides this one, as the endpoints see them: on a single node (<see cref="SingleNode"/>) there are
/// none; in a cluster (<see cref="ClusterDirectory"/>) their chardevs come from the directory and requests for
/// them are forwarded to their owner.
/// </summary>
public interface IClusterNodes
{
    /// <summary>This node's name; null on a single node (responses then carry <c>node: null</c>).</summary>
    string? Self { get; }

    /// <summary>
    /// The node other than this one that a request naming <paramref name="node"/> must go to; null: this one.
    /// Throws a <see cref="ChardevException"/> (field <c>node</c>) for a node that cannot be asked.
    /// </summary>
    string? Elsewhere(string? node);

    /// <summary>How this node's cluster stands, for <c>/healthz</c>: <c>ok</c>, or <c>degraded: </c> and why; null on a single node.</summary>
    Task<string?> HealthAsync(CancellationToken cancellationToken);

    /// <summary>The node other than this one that holds chardev <paramref name="id"/>; null: none does (this node answers).</summary>
    Task<string?> OwnerOfAsync(string id, CancellationToken cancellationToken);

    /// <summary>The chardevs of the other nodes, as the directory lists them (<c>unreachable</c> where the owner's heartbeat stopped).</summary>
    Task<IReadOnlyList<ListedChardev>> OthersAsync(CancellationToken cancellationToken);

    /// <summary>Every node that joined this installation, this one among them, by name; empty on a single node.</summary>
    Task<IReadOnlyList<NodeResponse>> NodesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Forgets <paramref name="node"/>, which stopped for good: its membership, its chardevs' entries, its API keys, and the
    /// ids it held (so they can be made elsewhere); answers how many ids were given back. Refused for this node and for one
    /// whose heartbeat lasts (<see cref="ClusterException.NodeAlive"/>); a node forgotten that starts again simply joins again.
    /// </summary>
    Task<int> ForgetAsync(string node, CancellationToken cancellationToken);

    /// <summary>Sends this request, with <paramref name="body"/> in place of its own, to <paramref name="node"/> as the caller, and writes its answer.</summary>
    Task ForwardAsync(HttpContext http, string node, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken);

    /// <summary>
    /// Attaches a console to chardev <paramref name="id"/> on <paramref name="node"/> as <paramref name="caller"/>, read-only if
    /// asked; the owner's events for it go to <paramref name="onEvent"/>. Throws the owner's refusal as a hub error.
    /// </summary>
    Task<RemoteConsole> AttachConsoleAsync(
        System.Security.Claims.ClaimsPrincipal caller, string node, string id, bool readOnly, Func<Dictionary<string, object?>, Task> onEvent, CancellationToken cancellationToken);
}

/// <summary>Another node's chardev as this node lists it, with its JSON, written once per change of it rather than once per list.</summary>
public sealed record ListedChardev(ChardevResponse Chardev, byte[] Json);

/// <summary>A server alone: every chardev is its own.</summary>
internal sealed class SingleNode : IClusterNodes
{
    public string? Self => null;

    public string? Elsewhere(string? node) => node is null
        ? null
        : throw ChardevException.Invalid("node", $"this server is not part of a cluster (CharWeb:Cluster:Redis is not set); leave node out");

    public Task<string?> HealthAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public Task<string?> OwnerOfAsync(string id, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public Task<IReadOnlyList<ListedChardev>> OthersAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<ListedChardev>>([]);

    public Task<IReadOnlyList<NodeResponse>> NodesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<NodeResponse>>([]);

    public Task<int> ForgetAsync(string node, CancellationToken cancellationToken) =>
        throw ChardevException.Invalid("name", "this server is not part of a cluster (CharWeb:Cluster:Redis is not set): it has no nodes to forget");

    public Task ForwardAsync(HttpContext http, string node, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken) =>
        throw ChardevException.Invalid("node", "this server is not part of a cluster");

    public Task<RemoteConsole> AttachConsoleAsync(
        System.Security.Claims.ClaimsPrincipal caller, string node, string id, bool readOnly, Func<Dictionary<string, object?>, Task> onEvent, CancellationToken cancellationToken) =>
        throw ChardevException.Invalid("node", "this server is not part of a cluster");
}
