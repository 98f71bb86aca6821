using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine;

/// <summary>What a user gives to create a chardev (QEMU's <c>chardev-add</c>).</summary>
public sealed record ChardevDefinition
{
    public const int MaxIdLength = 128;
    public const int MaxHistory = 16 << 20;

    /// <summary>Chardev id: a letter first, then letters, digits, '-', '.', '_' (QEMU's rule), at most 128.</summary>
    [Required]
    [StringLength(MaxIdLength, MinimumLength = 1)]
    [RegularExpression(ChardevValidator.IdPattern)]
    public string Id { get; init; } = "";

    /// <summary>The device side: one of the backend kinds, chosen by its <c>type</c>.</summary>
    [Required]
    public BackendOptions? Backend { get; init; }

    /// <summary>File that records all output, whether or not a console watches.</summary>
    public string? Logfile { get; init; }

    /// <summary>Append to <c>logfile</c> instead of truncating it.</summary>
    [DefaultValue(false)]
    public bool Logappend { get; init; }

    /// <summary>Bytes of recent output kept and replayed to a console when it attaches.</summary>
    [DefaultValue(0)]
    [Range(0, MaxHistory)]
    public int History { get; init; }
}
