using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>A program on a pty, as ttyd and conserver run them; only programs in <c>CharWeb:Exec:Allowed</c>.</summary>
public sealed record ExecBackendOptions : BackendOptions
{
    public override string Type => "exec";

    /// <summary>Absolute path of the program; it must be listed in <c>CharWeb:Exec:Allowed</c>.</summary>
    [Required]
    public string Command { get; init; } = "";

    /// <summary>Its arguments; where <c>CharWeb:Exec:Allowed</c> pins arguments for the command, exactly those.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Initial terminal width; consoles resize it.</summary>
    [DefaultValue(80)]
    [Range(1, 1000)]
    public int Cols { get; init; } = 80;

    /// <summary>Initial terminal height; consoles resize it.</summary>
    [DefaultValue(24)]
    [Range(1, 1000)]
    public int Rows { get; init; } = 24;

    /// <summary>Run the program again when it exits, after 1 s, doubling while it keeps exiting fast; failed after <c>CharWeb:Exec:MaxFastExits</c> fast exits in a row.</summary>
    [DefaultValue(false)]
    public bool Restart { get; init; }

    public bool Equals(ExecBackendOptions? other) =>
        other is not null && Command == other.Command && (Args ?? []).SequenceEqual(other.Args ?? []) && Cols == other.Cols && Rows == other.Rows && Restart == other.Restart;

    public override int GetHashCode() => HashCode.Combine(Command, Args?.Count, Cols, Rows, Restart);
}
