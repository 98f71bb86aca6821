namespace CharWeb.Api.Cluster;

internal sealed partial class RedisIdReservations
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Could not give back chardev id {ChardevId} in Redis; the next directory rebuild will")]
    private partial void LogReleaseFailed(string chardevId, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Chardev {ChardevId} is on this node, but node {Holder} holds its id in the cluster: it is served here and not listed on the other nodes")]
    private partial void LogHeldElsewhere(string chardevId, string holder);
}
