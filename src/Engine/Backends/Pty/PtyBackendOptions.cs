using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>pty</c>: a real pseudo-terminal whose slave path another program opens.</summary>
public sealed record PtyBackendOptions : BackendOptions
{
    public override string Type => "pty";

    /// <summary>Initial terminal width; consoles resize it.</summary>
    [DefaultValue(80)]
    [Range(1, 1000)]
    public int Cols { get; init; } = 80;

    /// <summary>Initial terminal height; consoles resize it.</summary>
    [DefaultValue(24)]
    [Range(1, 1000)]
    public int Rows { get; init; } = 24;
}
