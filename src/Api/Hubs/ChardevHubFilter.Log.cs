namespace CharWeb.Api.Hubs;

internal sealed partial class ChardevHubFilter
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Hub call {Method} by {User} refused: {Reason}")]
    private partial void Refused(string method, string? user, string reason);
}
