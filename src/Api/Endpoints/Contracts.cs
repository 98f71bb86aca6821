using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using CharWeb.Engine;

namespace CharWeb.Api.Endpoints;

/// <summary>A chardev as <c>GET</c> shows it (QEMU's <c>query-chardev</c> and more); <c>node</c>: the node that owns it in a cluster (null on a single node).</summary>
public sealed record ChardevResponse(
    [property: Required] string Id,
    [property: Required] BackendOptions Backend,
    string? Logfile,
    bool Logappend,
    bool LogTimestamps,
    bool LogEvents,
    long? LogMaxBytes,
    int? LogMaxFiles,
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
    int RecordMaxBytes,
    int RecordMaxFiles,
    string? Node = null)
{
    public static ChardevResponse From(Chardev chardev) => From(chardev, null);

    /// <param name="chardev">A chardev of this node.</param>
    /// <param name="node">This node's name in its cluster; null on a single node.</param>
    public static ChardevResponse From(Chardev chardev, string? node) => new(
        chardev.Id,
        chardev.Definition.Backend!,
        chardev.Definition.Logfile,
        chardev.Definition.Logappend,
        chardev.Definition.LogTimestamps,
        chardev.Definition.LogEvents,
        chardev.Definition.LogMaxBytes,
        chardev.Definition.LogMaxFiles,
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
        chardev.Definition.RecordMaxBytes,
        chardev.Definition.RecordMaxFiles,
        node);
}

/// <summary>A node of the cluster as <c>GET /api/cluster/nodes</c> shows it.</summary>
/// <param name="Name">Its <c>CharWeb:Cluster:Node</c>.</param>
/// <param name="State"><c>up</c> while its heartbeat lasts, <c>unreachable</c> once it expired.</param>
/// <param name="Url">How the nodes reach it (its <c>CharWeb:Cluster:Url</c>), from its heartbeat; null once that expired.</param>
/// <param name="StartedAt">When it started, from its heartbeat; null once that expired.</param>
/// <param name="Chardevs">How many chardevs it lists in the directory.</param>
/// <param name="Self">Whether it is the node that answered.</param>
public sealed record NodeResponse([property: Required] string Name, NodeState State, string? Url, DateTimeOffset? StartedAt, int Chardevs, bool Self);

/// <summary>Whether a node's heartbeat lasts.</summary>
public enum NodeState
{
    Up,
    Unreachable,
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
public sealed record ReadResponse(string Data, DataFormat Format);

/// <summary>One backend kind (QEMU's <c>query-chardev-backends</c>, with its options); <c>paced</c>: <c>flow: pace</c> holds the device while consoles catch up (otherwise it behaves as <c>drop</c>).</summary>
public sealed record BackendKindResponse(
    [property: Required] string Name,
    [property: Required] string Description,
    [property: Required] IReadOnlyList<string> Aliases,
    [property: Required] IReadOnlyList<BackendOptionResponse> Options,
    bool Paced);

/// <summary>One option of a backend kind, as the OpenAPI document describes it.</summary>
/// <param name="Name">The option, as the JSON names it.</param>
/// <param name="Type">Its JSON type: <c>string</c>, <c>integer</c>, <c>number</c>, <c>boolean</c>, <c>array</c> or <c>object</c>.</param>
/// <param name="Required">Whether a backend of this kind must give it.</param>
/// <param name="Default">Its value when left out (null: none).</param>
/// <param name="Description">What it does.</param>
/// <param name="Enum">The only values it takes, where it is limited to some.</param>
/// <param name="Items">The JSON type of each item, for an array.</param>
/// <param name="Schema">The name of the OpenAPI component that describes it (under <c>#/components/schemas/</c>), for an object.</param>
public sealed record BackendOptionResponse(
    [property: Required] string Name,
    [property: Required] string Type,
    bool Required,
    JsonNode? Default,
    string? Description,
    IReadOnlyList<string>? Enum,
    string? Items,
    string? Schema);

/// <summary>What <c>/healthz</c> answers; <c>status</c> is <c>degraded</c> while this node's cluster (<c>cluster</c>, null on a single node) cannot be reached.</summary>
public sealed record HealthResponse(
    [property: Required] string Status, [property: Required] string Database, int Chardevs, [property: Required] IReadOnlyDictionary<string, int> States, string? Cluster = null);
