using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CharWeb.Engine.Backends;

/// <summary>QEMU's <c>ringbuf</c> (alias <c>memory</c>): an in-memory ring that REST <c>read</c> consumes.</summary>
public sealed record RingbufBackendOptions : BackendOptions
{
    public const int DefaultSize = 65536;
    public const int MaxSize = 1 << 30;

    public override string Type => "ringbuf";

    /// <summary>Ring size in bytes, a power of two; the oldest bytes are overwritten when full.</summary>
    [DefaultValue(DefaultSize)]
    [Range(1, MaxSize)]
    public int Size { get; init; } = DefaultSize;

    public override long BufferBytes => Size;
}
