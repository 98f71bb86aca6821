namespace CharWeb.Api.Cluster;

internal sealed partial class DirectoryWatch
{
    [LoggerMessage(EventId = 70, Level = LogLevel.Warning, Message = "Could not subscribe to the directory's announcements; the other nodes' chardevs are read on each heartbeat until then")]
    private partial void LogSubscribeFailed(Exception exception);
}
