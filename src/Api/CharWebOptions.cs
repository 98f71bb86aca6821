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
