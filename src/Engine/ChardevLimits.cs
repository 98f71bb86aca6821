namespace CharWeb.Engine;

/// <summary><c>CharWeb:Limits</c>: what one server holds at most, so no caller can exhaust its memory.</summary>
public sealed record ChardevLimits
{
    /// <summary>Chardevs on this server.</summary>
    public int MaxChardevs { get; init; } = 4096;

    /// <summary>Bytes of every ringbuf and every history together.</summary>
    public long MaxBufferBytes { get; init; } = 1L << 30;

    /// <summary>Consoles attached to one chardev.</summary>
    public int MaxConsolesPerChardev { get; init; } = 64;
}
