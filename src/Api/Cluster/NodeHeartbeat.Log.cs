namespace CharWeb.Api.Cluster;

internal sealed partial class NodeHeartbeat
{
    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Joining the cluster as node {Node}, reached at {Url}")]
    private partial void LogJoining(string node, string url);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Could not write this node's heartbeat to Redis; the other nodes will show it unreachable")]
    private partial void LogBeatFailed(Exception exception);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "This node's heartbeat reaches Redis again")]
    private partial void LogBeating();

    [LoggerMessage(EventId = 33, Level = LogLevel.Warning, Message = "The cluster had forgotten node {Node}; it joins again and writes its chardevs, ids and API keys back")]
    private partial void LogRejoined(string node);
}
