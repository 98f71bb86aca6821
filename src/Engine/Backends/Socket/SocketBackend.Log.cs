using Microsoft.Extensions.Logging;

namespace CharWeb.Engine.Backends;

public sealed partial class SocketBackend
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Socket client {Address} was not reconnected: {Reason}")]
    private partial void LogDestinationRefused(string address, string reason);
}
