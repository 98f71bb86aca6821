using System.ComponentModel.DataAnnotations;

namespace CharWeb.Api;

/// <summary>
/// The <c>CharWeb</c> configuration section (environment: <c>CharWeb__Key</c>). <c>CharWeb:Exec</c>
/// is read by <see cref="Hosting.ExecSettings"/>: its list mixes strings and objects, which binding cannot.
/// </summary>
public sealed class CharWebOptions
{
    public const string Section = "CharWeb";

    /// <summary>Folder of the SQLite database and default place of logs and files; relative to the content root.</summary>
    [Required]
    public string DataDir { get; set; } = "data";

    /// <summary>Largest decoded payload of one REST write; larger answers 413.</summary>
    [Range(1, 256 << 20)]
    public int MaxWriteBytes { get; set; } = 1 << 20;

    /// <summary>Largest REST read in one call.</summary>
    [Range(1, 256 << 20)]
    public int MaxReadBytes { get; set; } = 16 << 20;

    /// <summary>Folders besides the data folder where file paths (file backend, logfile) may point.</summary>
    public List<string> AllowedPaths { get; set; } = [];

    /// <summary>Where socket clients and udp chardevs may connect and send.</summary>
    public NetworkSettings Network { get; set; } = new();

    /// <summary>Which host devices serial and parallel chardevs may open.</summary>
    public DeviceSettings Devices { get; set; } = new();

    /// <summary>What this server holds at most.</summary>
    public LimitSettings Limits { get; set; } = new();
}

/// <summary><c>CharWeb:Devices</c>: globs of the devices serial and parallel chardevs may open.</summary>
public sealed class DeviceSettings
{
    /// <summary>Absolute globs (<c>*</c> and <c>?</c> stop at <c>/</c>); unset: serial ports, USB serial adapters, by-id links and parallel ports.</summary>
    public List<string>? Allowed { get; set; }

    public Engine.DevicePolicy Policy() => Allowed is null ? Engine.DevicePolicy.Default : new Engine.DevicePolicy(Allowed);
}

/// <summary><c>CharWeb:Limits</c>: what one server holds at most; over a limit is 409 <c>limit</c>.</summary>
public sealed class LimitSettings
{
    private static readonly Engine.ChardevLimits Defaults = new();

    [Range(1, 1_000_000)]
    public int MaxChardevs { get; set; } = Defaults.MaxChardevs;

    /// <summary>Bytes of all ringbufs and histories together.</summary>
    [Range(0, long.MaxValue)]
    public long MaxBufferBytes { get; set; } = Defaults.MaxBufferBytes;

    [Range(1, 100_000)]
    public int MaxConsolesPerChardev { get; set; } = Defaults.MaxConsolesPerChardev;

    /// <summary>Consoles one hub connection may have attached at once.</summary>
    [Range(1, 100_000)]
    public int MaxConsolesPerConnection { get; set; } = 32;

    /// <summary>Chardev-list watchers (<c>WatchChardevs</c>) one hub connection may run at once.</summary>
    [Range(1, 1000)]
    public int MaxWatchersPerConnection { get; set; } = 4;

    /// <summary>Hub connections one user (or API key) may hold open at once.</summary>
    [Range(1, 100_000)]
    public int MaxConnectionsPerUser { get; set; } = 128;

    /// <summary>Consoles attached on this server at once, every chardev and user together.</summary>
    [Range(1, 1_000_000)]
    public int MaxConsoles { get; set; } = 4096;

    /// <summary>Chardev-list watchers on this server at once (each rebuilds the list every stats interval).</summary>
    [Range(1, 100_000)]
    public int MaxWatchers { get; set; } = 256;

    public Engine.ChardevLimits ForEngine() => new()
    {
        MaxChardevs = MaxChardevs,
        MaxBufferBytes = MaxBufferBytes,
        MaxConsolesPerChardev = MaxConsolesPerChardev,
    };
}

/// <summary><c>CharWeb:Network</c>: where socket clients and udp chardevs may connect and send.</summary>
public sealed class NetworkSettings
{
    /// <summary>
    /// CIDRs, addresses or host names, each optionally with <c>:port</c> or <c>:first-last</c>
    /// (<c>10.0.0.0/8</c>, <c>[::1]:22</c>, <c>lab-console.example:7000</c>); unset: loopback only.
    /// </summary>
    public List<string>? AllowedDestinations { get; set; }

    /// <summary>The policy these settings describe; every bad entry goes to <paramref name="errors"/>.</summary>
    public Engine.DestinationPolicy Destinations(ICollection<Engine.FieldError> errors) =>
        AllowedDestinations is null ? Engine.DestinationPolicy.Loopback : Engine.DestinationPolicy.Parse(AllowedDestinations, errors);
}
