namespace CharWeb.Engine;

/// <summary>
/// Reading a chardev's logs and recordings: the one being written and the ones rotated away from it
/// (<c>logMaxBytes</c>, <c>recordMaxBytes</c>).
/// </summary>
public sealed partial class Chardev
{
    /// <summary>The current log first, then its rotated logs, newest first; empty before anything was logged.</summary>
    public IReadOnlyList<LogFileInfo> Logfiles() => LogFiles.Logs.List(_context.Paths, RequireLogfile());

    /// <summary>Opens the log <paramref name="name"/> for reading (null: the current one); any other name is refused, never taken as a path.</summary>
    public LogSnapshot OpenLogfile(string? name = null) => LogFiles.Logs.Open(Id, _context.Paths, RequireLogfile(), name);

    /// <summary>The current recording first, then its rotated ones, newest first; empty before anything was recorded.</summary>
    public IReadOnlyList<LogFileInfo> Recordings() => LogFiles.Recordings.List(_context.Paths, RequireRecording());

    /// <summary>Opens the recording <paramref name="name"/> for reading (null: the current one), as <see cref="OpenLogfile"/> does logs.</summary>
    public LogSnapshot OpenRecording(string? name = null) => LogFiles.Recordings.Open(Id, _context.Paths, RequireRecording(), name);

    private string RequireLogfile() =>
        LogfilePath ?? throw new ChardevException(ChardevErrorKind.Unsupported, $"chardev '{Id}' has no logfile", [new FieldError("logfile", "is not set for this chardev")]) { ChardevId = Id };

    private string RequireRecording() =>
        RecordingPath ?? throw new ChardevException(ChardevErrorKind.Unsupported, $"chardev '{Id}' does not record", [new FieldError("record", "is not set for this chardev")]) { ChardevId = Id };
}
