namespace CharWeb.Engine.Backends;

/// <summary>
/// QEMU <c>char-ringbuf.c</c>: what is written is stored (oldest overwritten) and REST <c>read</c>
/// consumes it. CharWeb also echoes it to consoles, so a browser sees what automation wrote.
/// </summary>
public sealed class RingbufBackend(RingbufBackendOptions options) : ChardevBackend, IConsumableBackend
{
    private readonly ByteRing _ring = new(options.Size);
    private readonly Lock _lock = new();

    public static BackendKind Kind { get; } = BackendKind.Create<RingbufBackendOptions>(
        "In-memory ring: what is written is stored (oldest overwritten) and echoed to consoles; REST read consumes it.",
        (o, _) => Validate(o),
        (o, _) => new RingbufBackend(o),
        aliases: "memory");

    public override string Filename => "ringbuf";

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        SetState(ChardevState.Open);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<int> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _ring.Write(data.Span);
        }

        Output(data.Span);
        return ValueTask.FromResult(data.Length);
    }

    public int Consume(Span<byte> destination)
    {
        lock (_lock)
        {
            return _ring.Read(destination);
        }
    }

    private static IEnumerable<FieldError> Validate(RingbufBackendOptions options)
    {
        if (options.Size is <= 0 or > RingbufBackendOptions.MaxSize)
        {
            yield return new FieldError("size", $"must be between 1 and {RingbufBackendOptions.MaxSize}, got {options.Size}");
        }
        else if ((options.Size & (options.Size - 1)) != 0)
        {
            yield return new FieldError("size", $"must be a power of two, got {options.Size}");
        }
    }
}
