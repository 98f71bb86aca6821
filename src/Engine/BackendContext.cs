using Microsoft.Extensions.Logging;

namespace CharWeb.Engine;

/// <summary>What validators and factories of backends may use from the server.</summary>
public sealed class BackendContext(PathPolicy paths, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>What the exec backend may run, and how its restarts back off (<c>CharWeb:Exec</c>); exec is off by default.</summary>
    public ExecPolicy Exec { get; init; } = ExecPolicy.None;

    public PathPolicy Paths { get; } = paths;

    /// <summary>What this server holds at most (<c>CharWeb:Limits</c>).</summary>
    public ChardevLimits Limits { get; init; } = new();

    /// <summary>Host devices serial and parallel chardevs may open (<c>CharWeb:Devices:Allowed</c>).</summary>
    public DevicePolicy Devices { get; init; } = DevicePolicy.Default;

    public TimeProvider Time { get; } = time;

    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>Where socket clients and udp may connect and send (<c>CharWeb:Network:AllowedDestinations</c>).</summary>
    public DestinationPolicy Destinations { get; init; } = DestinationPolicy.Loopback;

    /// <summary>
    /// Called with each keystroke's round trip (<see cref="KeystrokeClock"/>): a console's write to the first
    /// output after it. Null: nothing is timed. Called on the device's output thread; it must not block.
    /// </summary>
    public Action<Chardev, TimeSpan>? KeystrokeEchoed { get; init; }

    /// <summary>The chardevs of this server, for backends made of other chardevs (mux, hub).</summary>
    internal ChardevRegistry? Chardevs { get; set; }
}
