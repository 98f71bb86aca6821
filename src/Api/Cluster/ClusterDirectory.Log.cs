namespace CharWeb.Api.Cluster;

internal sealed partial class ClusterDirectory
{
    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Could not ask Redis which node holds {Id}; this node answers for it")]
    private partial void LogOwnerUnknown(string id, Exception exception);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Forgot node {Node} but could not announce it; the other nodes see it at their next heartbeat")]
    private partial void LogAnnounceFailed(string node, Exception exception);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "The heartbeat of node {Node} could not be read; it is listed without its address")]
    private partial void LogUnreadableBeat(string node, Exception exception);
}
