namespace CharWeb.Api.Endpoints;

internal sealed partial class RawWebSocketConsole
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Raw WebSocket console {RemoteAddress} on {ChardevId} ended: {Reason}")]
    private partial void LogEnded(string chardevId, string remoteAddress, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Raw WebSocket console {RemoteAddress} on {ChardevId} failed")]
    private partial void LogFailed(string chardevId, string remoteAddress, Exception exception);
}
