namespace CharWeb.Api.Cluster;

internal sealed partial class DirectoryWriter
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Directory rebuilt: {Listed} chardevs of this node listed in the cluster, {HeldElsewhere} whose id another node holds")]
    private partial void LogRebuilt(int listed, int heldElsewhere);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not write this node's chardevs to the directory; it is rebuilt once Redis answers")]
    private partial void LogWriteFailed(Exception exception);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Writing this node's chardevs to the directory again")]
    private partial void LogWriting();
}
