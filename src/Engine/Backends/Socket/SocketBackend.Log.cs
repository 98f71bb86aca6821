using Microsoft.Extensions.Logging;

namespace CharWeb.Engine.Backends;

public sealed partial class SocketBackend
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Socket client {Address} was not reconnected: {Reason}")]
    private partial void LogDestinationRefused(string address, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "WebSocket server {Address}: the peer {Peer} was not upgraded: {Reason}")]
    private partial void LogWebSocketRefused(string address, string peer, string reason);
}
