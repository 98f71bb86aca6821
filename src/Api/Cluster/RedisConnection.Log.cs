using StackExchange.Redis;

namespace CharWeb.Api.Cluster;

internal sealed partial class RedisConnection
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Lost the connection to Redis at {EndPoint} ({FailureType}); this node serves its own chardevs meanwhile")]
    private partial void LogLost(string? endPoint, ConnectionFailureType failureType, Exception? exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "The connection to Redis at {EndPoint} is back")]
    private partial void LogRestored(string? endPoint);
}
