using System.ComponentModel.DataAnnotations;
using Microsoft.Win32.SafeHandles;

namespace CharWeb.Engine;

/// <summary>One log of a chardev: the one being written, or one rotated away from it.</summary>
/// <param name="Name">Its file name: the logfile's own, or <c>NAME-YYYYMMDD-HHMMSS</c> (UTC, with <c>-2</c>, <c>-3</c>, ... when one second saw more than one rotation).</param>
/// <param name="Bytes">Its size now.</param>
/// <param name="From">When the file was started (its birth time; null where the file system does not keep one).</param>
/// <param name="To">When it was last written.</param>
/// <param name="Current">Whether it is the log being written now.</param>
public sealed record LogFileInfo(
    [property: Required] string Name, [property: Required] long Bytes, DateTimeOffset? From, [property: Required] DateTimeOffset To, [property: Required] bool Current);

/// <summary>
/// The logs of one chardev on disk, for reading: the current one and its rotated ones, found in the
/// log's folder through its descriptor and opened beneath the allowed folder like every file CharWeb opens.
/// </summary>
internal static class LogFiles
{
    /// <summary>The current log first, then the rotated ones, newest first.</summary>
    public static IReadOnlyList<LogFileInfo> List(PathPolicy paths, string fullPath)
    {
        var logName = Path.GetFileName(fullPath);
        using var folder = OpenFolder(paths, fullPath);
        if (folder is null)
        {
            return [];
        }

        var names = RotatedLogs.Of(folder, logName).Select(entry => entry.Name).Reverse().Prepend(logName);
        return names
            .Select(name => (Name: name, Facts: ConfinedFile.FactsOf(folder, name)))
            .Where(file => file.Facts is { Identity.IsRegular: true })
            .Select(file => new LogFileInfo(file.Name, file.Facts!.Value.Size, file.Facts.Value.Born, file.Facts.Value.Modified, file.Name == logName))
            .ToList();
    }

    /// <summary>
    /// Opens the log <paramref name="name"/> (null: the current one). Only the log's own name and the names of its
    /// rotated logs are taken: anything else is refused before any file is looked at, so a name is never a path.
    /// </summary>
    public static LogSnapshot Open(string chardevId, PathPolicy paths, string fullPath, string? name)
    {
        var logName = Path.GetFileName(fullPath);
        name ??= logName;
        if (name != logName && !RotatedLogs.TryParse(logName, name, out _))
        {
            throw ChardevException.Invalid("name", $"must be '{logName}' or one of its rotated logs, '{logName}-YYYYMMDD-HHMMSS' (GET /api/chardevs/{chardevId}/logs lists them); a name is never a path");
        }

        try
        {
            return new LogSnapshot(name, paths.OpenRead("name", Path.Combine(Path.GetDirectoryName(fullPath)!, name)));
        }
        catch (IOException ex) when (ex.HResult == Tmds.Linux.LibC.ENOENT)
        {
            throw NoSuchLog(chardevId, name);
        }
    }

    private static ChardevException NoSuchLog(string chardevId, string name) =>
        new(ChardevErrorKind.NotFound, $"chardev '{chardevId}' has no log named '{name}'", [new FieldError("name", $"no log of chardev '{chardevId}' is named '{name}'")]) { ChardevId = chardevId };

    /// <summary>The log's folder, or null when it is not there (nothing was logged yet).</summary>
    private static SafeFileHandle? OpenFolder(PathPolicy paths, string fullPath)
    {
        try
        {
            return paths.OpenFolderOf("logfile", fullPath);
        }
        catch (IOException ex) when (ex.HResult == Tmds.Linux.LibC.ENOENT)
        {
            return null;
        }
    }
}
