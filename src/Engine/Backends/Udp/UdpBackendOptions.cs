using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>A UDP host and port.</summary>
public sealed record UdpEndpointOptions
{
    /// <summary>Host name or address.</summary>
    [Required]
    public string Host { get; init; } = "";

    /// <summary>UDP port; 0 for a local port of the system's choosing.</summary>
    [Range(0, 65535)]
    public int Port { get; init; }
}

/// <summary>QEMU's <c>udp</c>: datagrams to <c>remote</c>, received on <c>local</c>.</summary>
public sealed record UdpBackendOptions : BackendOptions
{
    public override string Type => "udp";

    /// <summary>Where input is sent.</summary>
    [Required]
    public UdpEndpointOptions? Remote { get; init; }

    /// <summary>Where datagrams are received (default: any local port).</summary>
    public UdpEndpointOptions? Local { get; init; }
}
