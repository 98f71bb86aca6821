namespace CharWeb.Api.Cluster;

internal sealed partial class DirectoryCopy
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Could not read the other nodes' chardevs from Redis; listing this node's own")]
    private partial void LogListFailed(Exception exception);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "A chardev that node {Node} listed could not be read; it is left out")]
    private partial void LogUnreadable(string node, Exception exception);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "Reading the other nodes' chardevs from Redis took over {Seconds} s; listing them as last read")]
    private partial void LogReadSlow(double seconds);
}
