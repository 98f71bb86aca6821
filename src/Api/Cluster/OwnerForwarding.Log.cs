namespace CharWeb.Api.Cluster;

internal sealed partial class OwnerForwarding
{
    [LoggerMessage(EventId = 60, Level = LogLevel.Debug, Message = "{Method} {Path}: chardev {ChardevId} is on node {Node}; forwarding")]
    private partial void LogForwarding(string method, string path, string chardevId, string node);
}
