namespace CharWeb.Api.Cluster;

internal sealed partial class ClusterDirectory
{
    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Could not ask Redis which node holds {Id}; this node answers for it")]
    private partial void LogOwnerUnknown(string id, Exception exception);
}
