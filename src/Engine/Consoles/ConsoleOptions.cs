namespace CharWeb.Engine.Consoles;

/// <summary>How one console attaches to a chardev.</summary>
public sealed record ConsoleOptions
{
    public const int DefaultBufferBytes = 1 << 20;

    /// <summary>Who is watching (an IP address and port, or a name for in-process consoles).</summary>
    public string RemoteAddress { get; init; } = "in-process";

    /// <summary>Who is at this console (a user name), as the writer seat and audit name them.</summary>
    public string User { get; init; } = "in-process";

    /// <summary>A read-only console sees output but may not write, and never holds the writer seat.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Bytes this console may have queued; past that it loses the oldest output.</summary>
    public int BufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary>Unacknowledged bytes allowed in flight before sending pauses; 0 for no window.</summary>
    public long WindowBytes { get; init; }
}

/// <summary>
/// What a console reads next: output bytes, or an event (opened, closed, overrun, ...). Events are
/// in order with the output, and are not held back by the flow-control window.
/// </summary>
public readonly record struct ConsoleChunk(byte[] Data, ChardevEvent? Event = null)
{
    public bool IsEvent => Event is not null;
}
