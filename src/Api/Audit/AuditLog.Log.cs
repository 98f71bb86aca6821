namespace CharWeb.Api.Audit;

public sealed partial class AuditLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Audit: {Count} entries could not be stored: {Reason}")]
    private partial void LogStoreFailed(int count, string reason);
}
