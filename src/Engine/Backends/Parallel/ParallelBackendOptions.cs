using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>parallel</c> (<c>parport</c>): a host parallel port through ppdev.</summary>
public sealed record ParallelBackendOptions : BackendOptions
{
    public override string Type => "parallel";

    /// <summary>The ppdev device.</summary>
    [Required]
    [DefaultValue("/dev/parport0")]
    public string Path { get; init; } = "/dev/parport0";
}
