namespace CharWeb.Engine.Consoles;

/// <summary>How one console attaches to a chardev.</summary>
public sealed record ConsoleOptions
{
    public const int DefaultBufferBytes = 1 << 20;

    /// <summary>Who is watching (an IP address and port, or a name for in-process consoles).</summary>
    public string RemoteAddress { get; init; } = "in-process";

    /// <summary>A read-only console sees output but may not write.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Bytes this console may have queued; past that it loses the oldest output.</summary>
    public int BufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary>Unacknowledged bytes allowed in flight before sending pauses; 0 for no window.</summary>
    public long WindowBytes { get; init; }
}

/// <summary>Output handed to a console, with how many bytes it lost just before it.</summary>
public readonly record struct ConsoleChunk(ReadOnlyMemory<byte> Data, long LostBefore);
