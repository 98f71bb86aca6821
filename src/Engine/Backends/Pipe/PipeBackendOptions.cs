using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>pipe</c>: FIFOs <c>path.in</c> (read as output) and <c>path.out</c> (takes input), or one <c>path</c> for both.</summary>
public sealed record PipeBackendOptions : BackendOptions
{
    public override string Type => "pipe";

    /// <summary>FIFO base path (made beforehand with mkfifo); relative paths are under the data folder.</summary>
    [Required]
    public string Path { get; init; } = "";
}
