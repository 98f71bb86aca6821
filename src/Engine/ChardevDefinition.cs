using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine;

/// <summary>What a user gives to create a chardev (QEMU's <c>chardev-add</c>).</summary>
public sealed record ChardevDefinition
{
    public const int MaxIdLength = 128;
    public const int MaxHistory = 16 << 20;
    public const long MinLogMaxBytes = 4096;
    public const long MaxLogMaxBytes = 1L << 40;
    public const int DefaultLogMaxFiles = 10;
    public const int MaxLogMaxFiles = 1000;
    public const int MinRecordMaxBytes = 4096;
    public const int DefaultRecordMaxBytes = 64 << 20;

    /// <summary>Chardev id: a letter first, then letters, digits, '-', '.', '_' (QEMU's rule), at most 128.</summary>
    [Required]
    [StringLength(MaxIdLength, MinimumLength = 1)]
    [RegularExpression(ChardevValidator.IdPattern)]
    public string Id { get; init; } = "";

    /// <summary>In a cluster (<c>CharWeb:Cluster</c>): the node to create the chardev on; null: the node asked. Not stored: a chardev lives where it was made.</summary>
    public string? Node { get; init; }

    /// <summary>The device side: one of the backend kinds, chosen by its <c>type</c>.</summary>
    [Required]
    public BackendOptions? Backend { get; init; }

    /// <summary>File that records all output, whether or not a console watches.</summary>
    public string? Logfile { get; init; }

    /// <summary>Append to <c>logfile</c> instead of truncating it.</summary>
    [DefaultValue(false)]
    public bool Logappend { get; init; }

    /// <summary>Start every line of <c>logfile</c> with the UTC time its first byte was output, <c>[2026-12-01T23:59:59.123Z] </c> (conserver's <c>timestamp</c>).</summary>
    [DefaultValue(false)]
    public bool LogTimestamps { get; init; }

    /// <summary>
    /// Write what happens to the chardev into <c>logfile</c> as lines of their own, in conserver's shape
    /// <c>[-- olivia@127.0.0.1:5555 attached read-write -- 2026-12-01T23:59:59.123Z]</c>: consoles attaching and
    /// detaching, the writer seat moving, breaks, the device side up and down, backend changes.
    /// </summary>
    [DefaultValue(false)]
    public bool LogEvents { get; init; }

    /// <summary>
    /// Rotate <c>logfile</c> before it would pass this many bytes (conserver's <c>logfilemax</c>): it is renamed
    /// <c>NAME-YYYYMMDD-HHMMSS</c> (UTC, after the whole file name) and a new one is started. 4096 to 1 TiB; null: never.
    /// </summary>
    [Range(MinLogMaxBytes, MaxLogMaxBytes)]
    public long? LogMaxBytes { get; init; }

    /// <summary>With <c>logMaxBytes</c>: rotated logs kept, the oldest removed beyond it (logrotate's <c>rotate</c>); null: 10.</summary>
    [Range(1, MaxLogMaxFiles)]
    public int? LogMaxFiles { get; init; }

    /// <summary>Keep an asciicast v2 recording of the output (with timing and resizes) in <c>records/ID.cast</c> under the data folder.</summary>
    [DefaultValue(false)]
    public bool Record { get; init; }

    /// <summary>
    /// Size at which the recording is rotated, as logs are, to <c>ID.cast-YYYYMMDD-HHMMSS</c> (UTC) and a new one
    /// starts with its own header (a restart rotates too: one header per file).
    /// </summary>
    [DefaultValue(DefaultRecordMaxBytes)]
    [Range(MinRecordMaxBytes, int.MaxValue)]
    public int RecordMaxBytes { get; init; } = DefaultRecordMaxBytes;

    /// <summary>Rotated recordings kept, the oldest removed beyond it (logrotate's <c>rotate</c>).</summary>
    [DefaultValue(DefaultLogMaxFiles)]
    [Range(1, MaxLogMaxFiles)]
    public int RecordMaxFiles { get; init; } = DefaultLogMaxFiles;

    /// <summary>Bytes of recent output kept and replayed to a console when it attaches.</summary>
    [DefaultValue(0)]
    [Range(0, MaxHistory)]
    public int History { get; init; }

    /// <summary>Narrows who may see and type into this chardev (conserver's <c>ro</c>/<c>rw</c> lists); null leaves it to the roles.</summary>
    public ChardevAccess? Access { get; init; }

    /// <summary>
    /// <c>one</c>: one console at a time holds the writer seat and the others are spies (conserver);
    /// <c>all</c>: every operator console types.
    /// </summary>
    [DefaultValue(WriterPolicy.One)]
    public WriterPolicy Writers { get; init; } = WriterPolicy.One;

    /// <summary>
    /// <c>pace</c>: while consoles watch, the device is read only as fast as the fastest console takes
    /// output, so one that keeps up loses nothing (kinds that cannot wait, serial and udp, behave as
    /// <c>drop</c>); <c>drop</c>: the device is never slowed and a lagging console loses the oldest output.
    /// </summary>
    [DefaultValue(FlowPolicy.Pace)]
    public FlowPolicy Flow { get; init; } = FlowPolicy.Pace;

    /// <summary>Keep the bytes typed into this chardev in the audit log, not only their count.</summary>
    [DefaultValue(false)]
    public bool AuditInput { get; init; }
}

/// <summary>What a chardev does while consoles watch: pace the device to the consoles that keep up, or read it flat out and let slow ones lose.</summary>
public enum FlowPolicy
{
    /// <summary>Lossless while watched: the device is read as fast as the fastest console takes output (where the kind can be paced).</summary>
    Pace,

    /// <summary>The device is never slowed: a console that falls behind its buffer loses the oldest output.</summary>
    Drop,
}

/// <summary>Who may type: one seat holder at a time, or every operator console.</summary>
public enum WriterPolicy
{
    One,
    All,
}

/// <summary>
/// A chardev's own audience, as conserver's per-console lists: user names, or <c>@group</c>. A list
/// that is null leaves that level to the roles; a list that is given is the whole of it. Admins are
/// never narrowed out; the lists never raise anyone above their role.
/// </summary>
public sealed record ChardevAccess
{
    public const int MaxEntries = 256;

    /// <summary>Who may watch (operators listed below may too); null: everyone with the viewer role.</summary>
    [MaxLength(MaxEntries)]
    public IReadOnlyList<string>? Viewers { get; init; }

    /// <summary>Who may type, break and take the seat; null: everyone with the operator role who may watch.</summary>
    [MaxLength(MaxEntries)]
    public IReadOnlyList<string>? Operators { get; init; }

    /// <summary>Whether <paramref name="name"/> (or one of <paramref name="groups"/>, as <c>@group</c>) may watch.</summary>
    public bool MayView(string name, IReadOnlyCollection<string> groups) =>
        Viewers is null || Lists(Viewers, name, groups) || Lists(Operators, name, groups);

    /// <summary>Whether the list lets this user operate (the role must allow it too).</summary>
    public bool MayOperate(string name, IReadOnlyCollection<string> groups) =>
        MayView(name, groups) && (Operators is null || Lists(Operators, name, groups));

    private static bool Lists(IReadOnlyList<string>? list, string name, IReadOnlyCollection<string> groups) =>
        list is not null && list.Any(entry => entry.StartsWith('@') ? groups.Contains(entry[1..]) : entry == name);
}
