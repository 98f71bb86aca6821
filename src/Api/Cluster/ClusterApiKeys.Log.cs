namespace CharWeb.Api.Cluster;

internal sealed partial class ClusterApiKeys
{
    [LoggerMessage(EventId = 80, Level = LogLevel.Warning, Message = "Could not share API keys through Redis; those accepted before stay until it answers")]
    private partial void LogSharingFailed(Exception exception);

    [LoggerMessage(EventId = 81, Level = LogLevel.Warning, Message = "An API key another node shared could not be read; it is not accepted here")]
    private partial void LogUnreadable(Exception exception);
}
