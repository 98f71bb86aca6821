using CharWeb.Engine;

namespace CharWeb.Api.Cluster;

/// <summary>A request the cluster could not carry out: the owner does not answer, or Redis does not.</summary>
public sealed class ClusterException(int status, string slug, string title, string message, FieldError error, Exception? inner = null)
    : Exception(message, inner)
{
    public int Status { get; } = status;

    public string Slug { get; } = slug;

    public string Title { get; } = title;

    public FieldError Error { get; } = error;

    public static ClusterException NodeUnreachable(string node, string why, Exception? inner = null) => new(
        StatusCodes.Status502BadGateway, "node-unreachable", "The node that owns this does not answer",
        $"node '{node}' does not answer: {why}", new FieldError("node", $"'{node}' does not answer"), inner);

    public static ClusterException RedisUnavailable(Exception inner) => new(
        StatusCodes.Status503ServiceUnavailable, "cluster-unavailable", "The cluster's directory does not answer",
        $"Redis (CharWeb:Cluster:Redis) does not answer, so this cannot be kept consistent across the nodes: {inner.Message}",
        new FieldError("cluster", "Redis does not answer"), inner);

    public static ClusterException NodeUnknown(string node) => new(
        StatusCodes.Status404NotFound, "node-not-found", "No such node",
        $"no node named '{node}' has joined this cluster", new FieldError("name", $"no node named '{node}' has joined this cluster"));

    /// <summary>A node that still beats (or this one) cannot be forgotten: it would only join again.</summary>
    public static ClusterException NodeAlive(string node, string why) => new(
        StatusCodes.Status409Conflict, "node-alive", "The node is alive",
        $"node '{node}' cannot be forgotten: {why}", new FieldError("name", why));
}
