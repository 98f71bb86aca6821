using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

public sealed partial class Chardev
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} opened")]
    private partial void LogOpened(string chardevId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} closed: {Reason}")]
    private partial void LogClosed(string chardevId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chardev {ChardevId} failed to open: {Reason}")]
    private partial void LogOpenFailed(string chardevId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chardev {ChardevId} changed to a {BackendType} backend")]
    private partial void LogChanged(string chardevId, string backendType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Console {RemoteAddress} attached to {ChardevId} ({Consoles} attached)")]
    private partial void LogConsoleAttached(string chardevId, string remoteAddress, int consoles);

    [LoggerMessage(Level = LogLevel.Information, Message = "Console {RemoteAddress} detached from {ChardevId} ({Consoles} attached)")]
    private partial void LogConsoleDetached(string chardevId, string remoteAddress, int consoles);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chardev {ChardevId}: backend {Filename} failed while closing")]
    private partial void LogCloseFailed(string chardevId, string filename, Exception exception);
}
