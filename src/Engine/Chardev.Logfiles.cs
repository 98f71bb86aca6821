namespace CharWeb.Engine;

/// <summary>Reading a chardev's logs: the one being written and the ones rotated away from it (<c>logMaxBytes</c>).</summary>
public sealed partial class Chardev
{
    /// <summary>The current log first, then its rotated logs, newest first; empty before anything was logged.</summary>
    public IReadOnlyList<LogFileInfo> Logfiles() => LogFiles.List(_context.Paths, RequireLogfile());

    /// <summary>Opens the log <paramref name="name"/> for reading (null: the current one); any other name is refused, never taken as a path.</summary>
    public LogSnapshot OpenLogfile(string? name = null) => LogFiles.Open(Id, _context.Paths, RequireLogfile(), name);

    private string RequireLogfile() =>
        LogfilePath ?? throw new ChardevException(ChardevErrorKind.Unsupported, $"chardev '{Id}' has no logfile", [new FieldError("logfile", "is not set for this chardev")]) { ChardevId = Id };
}
