using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

internal sealed partial class OutputFanout
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Chardev {ChardevId} logfile {Path} failed: {Reason}")]
    private partial void LogLogfileFailed(string chardevId, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Chardev {ChardevId} recording {Path} failed: {Reason}")]
    private partial void LogRecordingFailed(string chardevId, string path, string reason);
}
