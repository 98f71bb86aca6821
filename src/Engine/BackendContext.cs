using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>What validators and factories of backends may use from the server.</summary>
public sealed class BackendContext(PathPolicy paths, TimeProvider time, ILoggerFactory loggers, IReadOnlyList<string>? allowedPrograms = null)
{
    /// <summary>Programs the exec backend may run (<c>CharWeb:Exec:Allowed</c>), as absolute paths.</summary>
    public IReadOnlyList<string> AllowedPrograms { get; } = allowedPrograms ?? [];

    public PathPolicy Paths { get; } = paths;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>Where socket clients and udp may connect and send (<c>CharWeb:Network:AllowedDestinations</c>).</summary>
    public DestinationPolicy Destinations { get; init; } = DestinationPolicy.Loopback;

    /// <summary>The chardevs of this server, for backends made of other chardevs (mux, hub).</summary>
    internal ChardevRegistry? Chardevs { get; set; }
}
