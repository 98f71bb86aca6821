using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>hub</c>: input goes to every child, output of every child comes back.</summary>
public sealed record HubBackendOptions : BackendOptions, IChardevOfChardevs
{
    public override string Type => "hub";

    /// <summary>The child chardevs.</summary>
    [Required]
    [MinLength(1)]
    public IReadOnlyList<string> Chardevs { get; init; } = [];

    public bool Equals(HubBackendOptions? other) => other is not null && (Chardevs ?? []).SequenceEqual(other.Chardevs ?? []);

    public override int GetHashCode() => Chardevs?.Count ?? 0;
}
