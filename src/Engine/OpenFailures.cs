namespace CharWeb.Engine;

/// <summary>How a chardev tells the caller that its backend or log would not open: the OS reason, under the field that named the thing.</summary>
internal static class OpenFailures
{
    /// <summary>What an open may throw for reasons of the host (a missing folder, a port in use), as against a bug.</summary>
    public static bool IsOpenFailure(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidOperationException or PlatformNotSupportedException;

    /// <summary>A backend's refusal at open names its own fields; the caller of a create sees them under <c>backend.</c>.</summary>
    public static ChardevException UnderBackend(ChardevException refused) =>
        refused.Kind == ChardevErrorKind.Invalid && refused.Errors.All(e => !e.Field.StartsWith("backend", StringComparison.Ordinal) && e.Field != "logfile")
            ? ChardevException.Invalid(refused.Errors.Select(e => e with { Field = "backend." + e.Field }).ToList())
            : refused;

    public static ChardevException Backend(string id, string filename, Exception ex) =>
        new(ChardevErrorKind.OpenFailed, $"chardev '{id}': backend '{filename}' could not be opened: {ex.Message}", [new FieldError("backend", ex.Message)], ex);

    public static ChardevException Logfile(string id, Exception ex) =>
        new(ChardevErrorKind.OpenFailed, $"chardev '{id}': logfile could not be opened: {ex.Message}", [new FieldError("logfile", ex.Message)], ex);
}
