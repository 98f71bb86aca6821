using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>file</c>: input goes to <c>path</c>; an optional <c>in</c> file is read once as output.</summary>
public sealed record FileBackendOptions : BackendOptions
{
    public override string Type => "file";

    /// <summary>File that receives console and REST input; relative paths are under the data folder.</summary>
    [Required]
    public string Path { get; init; } = "";

    /// <summary>File read once, at open, as device output.</summary>
    public string? In { get; init; }

    /// <summary>Append to <c>path</c> instead of truncating it when opened.</summary>
    [DefaultValue(false)]
    public bool Append { get; init; }
}
