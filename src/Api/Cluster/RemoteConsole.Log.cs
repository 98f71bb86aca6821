namespace CharWeb.Api.Cluster;

public sealed partial class RemoteConsole
{
    [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "Console of {Id} relayed from node {Node}")]
    private partial void LogAttached(string id, string node);

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning, Message = "Console of {Id} lost node {Node}, its owner: {Reason}")]
    private partial void LogOwnerLost(string id, string node, string reason);

    [LoggerMessage(EventId = 72, Level = LogLevel.Debug, Message = "Ack for {Id} not sent to node {Node}: {Reason}")]
    private partial void LogAckDropped(string id, string node, string reason);
}
