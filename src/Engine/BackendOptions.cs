using System.Text.Json.Serialization;

namespace CharWeb.Engine;

/// <summary>
/// The options of one backend kind. <see cref="Type"/> is the discriminator of the JSON and
/// OpenAPI union; each kind's record says its own name once.
/// </summary>
public abstract record BackendOptions
{
    /// <summary>The backend kind, e.g. <c>ringbuf</c>.</summary>
    [JsonPropertyOrder(-1)]
    public abstract string Type { get; }

    /// <summary>Memory the backend holds for data (a ringbuf's ring), counted against <c>CharWeb:Limits:MaxBufferBytes</c>.</summary>
    [JsonIgnore]
    public virtual long BufferBytes => 0;
}
