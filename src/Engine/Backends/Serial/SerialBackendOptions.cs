using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>serial</c> (<c>tty</c>): a host serial device, with its line settings.</summary>
public sealed record SerialBackendOptions : BackendOptions
{
    public override string Type => "serial";

    /// <summary>The terminal device, e.g. <c>/dev/ttyUSB0</c>.</summary>
    [Required]
    public string Path { get; init; } = "";

    /// <summary>Line speed in bits per second.</summary>
    [DefaultValue(115200)]
    public int Baud { get; init; } = 115200;

    /// <summary>Data bits: 5, 6, 7 or 8.</summary>
    [DefaultValue(8)]
    [Range(5, 8)]
    public int DataBits { get; init; } = 8;

    /// <summary>Parity: none, even or odd.</summary>
    [DefaultValue("none")]
    [AllowedValues("none", "even", "odd")]
    public string Parity { get; init; } = "none";

    /// <summary>Stop bits: 1 or 2.</summary>
    [DefaultValue(1)]
    [Range(1, 2)]
    public int StopBits { get; init; } = 1;
}
