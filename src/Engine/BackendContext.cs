using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>What validators and factories of backends may use from the server.</summary>
public sealed class BackendContext(PathPolicy paths, TimeProvider time, ILoggerFactory loggers, IReadOnlyList<string>? allowedPrograms = null)
{
    /// <summary>Programs the exec backend may run (<c>CharWeb:Exec:Allowed</c>), as absolute paths.</summary>
    public IReadOnlyList<string> AllowedPrograms { get; } = allowedPrograms ?? [];

    public PathPolicy Paths { get; } = paths;

    /// <summary>What this server holds at most (<c>CharWeb:Limits</c>).</summary>
    public ChardevLimits Limits { get; init; } = new();

    /// <summary>Host devices serial and parallel chardevs may open (<c>CharWeb:Devices:Allowed</c>).</summary>
    public DevicePolicy Devices { get; init; } = DevicePolicy.Default;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>The chardevs of this server, for backends made of other chardevs (mux, hub).</summary>
    internal ChardevRegistry? Chardevs { get; set; }
}
