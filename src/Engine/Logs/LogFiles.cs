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
/// The logs (or recordings) of one chardev on disk, for reading: the current one and its rotated ones, found in
/// the folder through its descriptor and opened beneath the allowed folder like every file CharWeb opens.
/// </summary>
/// <param name="Field">The chardev's field the files belong to (<c>logfile</c>, <c>record</c>), named by any refusal.</param>
/// <param name="Noun">What one of them is called (<c>log</c>, <c>recording</c>); the route that lists them, under <c>/api/chardevs/{id}/</c>, is its plural.</param>
internal sealed record LogFiles(string Field, string Noun)
{
    public static readonly LogFiles Logs = new("logfile", "log");

    public static readonly LogFiles Recordings = new("record", "recording");

    /// <summary>The current file first, then the rotated ones, newest first.</summary>
    public IReadOnlyList<LogFileInfo> List(PathPolicy paths, string fullPath)
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
    public LogSnapshot Open(string chardevId, PathPolicy paths, string fullPath, string? name)
    {
        var logName = Path.GetFileName(fullPath);
        name ??= logName;
        if (name != logName && !RotatedLogs.TryParse(logName, name, out _))
        {
            throw ChardevException.Invalid("name", $"must be '{logName}' or one of its rotated {Noun}s, '{logName}-YYYYMMDD-HHMMSS' (GET /api/chardevs/{chardevId}/{Noun}s lists them); a name is never a path");
        }

        try
        {
            // What is refused there (a link, a device) is the chardev's own field's fault for the current file, the name's for a rotated one.
            return new LogSnapshot(name, paths.OpenRead(name == logName ? Field : "name", Path.Combine(Path.GetDirectoryName(fullPath)!, name)));
        }
        catch (IOException ex) when (ex.HResult == Tmds.Linux.LibC.ENOENT)
        {
            throw new ChardevException(ChardevErrorKind.NotFound, $"chardev '{chardevId}' has no {Noun} named '{name}'", [new FieldError("name", $"no {Noun} of chardev '{chardevId}' is named '{name}'")])
            {
                ChardevId = chardevId,
            };
        }
    }

    /// <summary>The files' folder, or null when it is not there (nothing was written yet).</summary>
    private SafeFileHandle? OpenFolder(PathPolicy paths, string fullPath)
    {
        try
        {
            return paths.OpenFolderOf(Field, fullPath);
        }
        catch (IOException ex) when (ex.HResult == Tmds.Linux.LibC.ENOENT)
        {
            return null;
        }
    }
}
