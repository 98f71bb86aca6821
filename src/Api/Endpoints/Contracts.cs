using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using CharWeb.Engine;

namespace CharWeb.Api.Endpoints;

/// <summary>A chardev as <c>GET</c> shows it (QEMU's <c>query-chardev</c> and more).</summary>
public sealed record ChardevResponse(
    [property: Required] string Id,
    [property: Required] BackendOptions Backend,
    string? Logfile,
    bool Logappend,
    int History,
    [property: Required] string Filename,
    ChardevState State,
    bool Connected,
    int Consoles,
    string? PtyPath,
    [property: Required] ChardevStats Stats,
    DateTimeOffset CreatedAt,
    ChardevSource Source,
    string? LastError,
    ChardevAccess? Access,
    WriterPolicy Writers,
    bool AuditInput,
    string? Writer,
    bool Record,
    int RecordMaxBytes)
{
    public static ChardevResponse From(Chardev chardev) => new(
        chardev.Id,
        chardev.Definition.Backend!,
        chardev.Definition.Logfile,
        chardev.Definition.Logappend,
        chardev.Definition.History,
        chardev.Filename,
        chardev.State,
        chardev.Connected,
        chardev.Consoles.Length,
        chardev.PtyPath,
        chardev.Stats,
        chardev.CreatedAt,
        chardev.Source,
        chardev.LastError,
        chardev.Definition.Access,
        chardev.Definition.Writers,
        chardev.Definition.AuditInput,
        chardev.Writer,
        chardev.Definition.Record,
        chardev.Definition.RecordMaxBytes);
}

/// <summary>Bytes to write into the device (QEMU's <c>ringbuf-write</c>).</summary>
public sealed record WriteRequest
{
    /// <summary>The bytes, as UTF-8 text or base64 per <c>format</c>.</summary>
    [Required]
    public string? Data { get; init; }

    /// <summary>How <c>data</c> is encoded.</summary>
    [DefaultValue(DataFormat.utf8)]
    public DataFormat Format { get; init; } = DataFormat.utf8;
}

/// <summary>How much of a write the device took: 0 when its side is not connected.</summary>
public sealed record WriteResponse(int Accepted);

/// <summary>Bytes read (QEMU's <c>ringbuf-read</c>).</summary>
public sealed record ReadResponse([property: Required] string Data, DataFormat Format);

/// <summary>One backend kind (QEMU's <c>query-chardev-backends</c>, with its options); <c>paced</c>: <c>flow: pace</c> holds the device while consoles catch up (otherwise it behaves as <c>drop</c>).</summary>
public sealed record BackendKindResponse(
    [property: Required] string Name,
    [property: Required] string Description,
    [property: Required] IReadOnlyList<string> Aliases,
    [property: Required] IReadOnlyList<BackendOptionResponse> Options,
    bool Paced);

/// <summary>One option of a backend kind.</summary>
public sealed record BackendOptionResponse([property: Required] string Name, [property: Required] string Type, bool Required, object? Default);

/// <summary>What <c>/healthz</c> answers.</summary>
public sealed record HealthResponse([property: Required] string Status, [property: Required] string Database, int Chardevs, [property: Required] IReadOnlyDictionary<string, int> States);
