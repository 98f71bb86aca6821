using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>mux</c>: one console switched between child chardevs with Ctrl-A escapes.</summary>
public sealed record MuxBackendOptions : BackendOptions, IChardevOfChardevs
{
    public override string Type => "mux";

    /// <summary>The child chardevs, in switching order; the first has the focus.</summary>
    [Required]
    [MinLength(1)]
    public IReadOnlyList<string> Chardevs { get; init; } = [];

    /// <summary>The escape key as a control code (QEMU <c>-echr</c>): 1 is Ctrl-A.</summary>
    [DefaultValue(1)]
    [Range(1, 31)]
    public int EscapeChar { get; init; } = 1;

    public bool Equals(MuxBackendOptions? other) =>
        other is not null && (Chardevs ?? []).SequenceEqual(other.Chardevs ?? []) && EscapeChar == other.EscapeChar;

    public override int GetHashCode() => HashCode.Combine(Chardevs?.Count, EscapeChar);
}
