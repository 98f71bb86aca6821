using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>What validators and factories of backends may use from the server.</summary>
public sealed class BackendContext(PathPolicy paths, TimeProvider time, ILoggerFactory loggers)
{
    public PathPolicy Paths { get; } = paths;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;
}
