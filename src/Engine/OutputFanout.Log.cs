using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

internal sealed partial class OutputFanout
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Chardev {ChardevId} logfile {Path} failed: {Reason}")]
    private partial void LogLogfileFailed(string chardevId, string path, string reason);
}
