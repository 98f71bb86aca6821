namespace CharWeb.Engine;

/// <summary>What happened to a chardev; follows QEMU's <c>CHR_EVENT_*</c> plus CharWeb's own.</summary>
public enum ChardevEventKind
{
    /// <summary>The device side connected (CHR_EVENT_OPENED).</summary>
    Opened,
    /// <summary>The device side went away (CHR_EVENT_CLOSED).</summary>
    Closed,
    /// <summary>A break was sent or received (CHR_EVENT_BREAK).</summary>
    Break,
    /// <summary>The backend was hot-swapped.</summary>
    Changed,
    /// <summary>The chardev was removed; its consoles are detached.</summary>
    Removed,
    /// <summary>A console attached or detached; <see cref="ChardevEvent.Consoles"/> has the new count.</summary>
    Consoles,
    /// <summary>Input arrived while the device side was not connected and was discarded.</summary>
    InputDropped,
    /// <summary>The chardev was created.</summary>
    Created,
    /// <summary>The backend failed (its logfile or device broke); <see cref="ChardevEvent.Reason"/> says why.</summary>
    Failed,
    /// <summary>This console fell behind and lost <see cref="ChardevEvent.Bytes"/> of output (sent to that console only).</summary>
    Overrun,
    /// <summary>The writer seat moved: <see cref="ChardevEvent.Name"/> holds it now (null: nobody), <see cref="ChardevEvent.Self"/> is this console.</summary>
    Writer,
}

/// <summary>One event of one chardev.</summary>
public sealed record ChardevEvent(string ChardevId, ChardevEventKind Kind, DateTimeOffset Time)
{
    /// <summary>Attached console count, for <see cref="ChardevEventKind.Consoles"/>.</summary>
    public int? Consoles { get; init; }

    /// <summary>A human reason (why it closed or failed).</summary>
    public string? Reason { get; init; }

    /// <summary>Bytes concerned (input dropped, output lost).</summary>
    public long? Bytes { get; init; }

    /// <summary>Running total, where there is one (all output a console lost).</summary>
    public long? Total { get; init; }

    /// <summary>The exit code of a program that ended (exec).</summary>
    public int? ExitCode { get; init; }

    /// <summary>Who the event is about (the writer seat's holder).</summary>
    public string? Name { get; init; }

    /// <summary>For <see cref="ChardevEventKind.Writer"/>: whether the console that reads the event holds the seat.</summary>
    public bool? Self { get; init; }

    /// <summary>The state after the event.</summary>
    public ChardevState? State { get; init; }
}
