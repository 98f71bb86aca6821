using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace CharWeb.Engine;

/// <summary>
/// The names of rotated logs, as conserver rolls them (<c>logfilemax</c>) and logrotate's <c>dateext</c>
/// names them: the whole file name, then <c>-YYYYMMDD-HHMMSS</c> in UTC (<c>vm1.log-20261201-235959</c>),
/// then <c>-2</c>, <c>-3</c>, ... when one second saw more than one rotation. They stay in the log's own
/// folder, and are renamed, listed and removed through that folder's descriptor.
/// </summary>
internal static partial class RotatedLogs
{
    /// <summary>One rotated log of a log: its name and the second and sequence it was rotated at.</summary>
    public readonly record struct Entry(string Name, DateTimeOffset RotatedAt, int Sequence);

    /// <summary>Whether <paramref name="candidate"/> is the shape of a rotated name of <paramref name="logName"/> (it never holds a '/').</summary>
    public static bool TryParse(string logName, string candidate, out Entry entry)
    {
        entry = default;
        if (!candidate.StartsWith(logName + "-", StringComparison.Ordinal) || Suffix().Match(candidate[(logName.Length + 1)..]) is not { Success: true } match
            || !DateTime.TryParseExact(match.Groups["date"].Value + match.Groups["time"].Value, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at))
        {
            return false;
        }

        var sequence = match.Groups["seq"].Success ? int.Parse(match.Groups["seq"].Value, CultureInfo.InvariantCulture) : 1;
        entry = new Entry(candidate, new DateTimeOffset(at, TimeSpan.Zero), sequence);
        return true;
    }

    /// <summary>Whether <paramref name="fileName"/> ends as a rotated log does: a log so named could be taken for another's rotated one, and pruned with them.</summary>
    public static bool LooksRotated(string fileName) => RotatedEnd().IsMatch(fileName);

    /// <summary>The rotated logs of <paramref name="logName"/> in <paramref name="folder"/> that are regular files, oldest first.</summary>
    public static IReadOnlyList<Entry> Of(SafeFileHandle folder, string logName) =>
        ConfinedFile.Names(folder)
            .Select(name => TryParse(logName, name, out var entry) ? entry : (Entry?)null)
            .OfType<Entry>()
            .Where(entry => ConfinedFile.Describe(folder, entry.Name) is { IsRegular: true })
            .OrderBy(entry => entry.RotatedAt)
            .ThenBy(entry => entry.Sequence)
            .ToList();

    /// <summary>
    /// Renames the log to its rotated name for <paramref name="at"/>, never over a file that is there; answers the name.
    /// Its sequence comes after every one of that second still there, so it sorts newest even where older ones of the
    /// same second were pruned away (reusing a freed lower name would make it the oldest, and the next to go).
    /// </summary>
    public static string Rename(SafeFileHandle folder, string logName, DateTimeOffset at)
    {
        var stem = $"{logName}-{at.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        var second = new DateTimeOffset(at.UtcDateTime.Ticks - (at.UtcDateTime.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var first = Of(folder, logName).Where(entry => entry.RotatedAt == second).Select(entry => entry.Sequence + 1).DefaultIfEmpty(1).Max();
        for (var sequence = first; sequence < 1_000_000; sequence++)
        {
            var name = sequence == 1 ? stem : $"{stem}-{sequence.ToString(CultureInfo.InvariantCulture)}";
            if (ConfinedFile.Rename(folder, logName, name))
            {
                return name;
            }
        }

        throw new IOException($"{logName}: no free rotated name for {stem}");
    }

    /// <summary>Removes the oldest rotated logs beyond the newest <paramref name="keep"/>.</summary>
    public static void Prune(SafeFileHandle folder, string logName, int keep)
    {
        var rotated = Of(folder, logName);
        foreach (var entry in rotated.Take(Math.Max(0, rotated.Count - keep)))
        {
            ConfinedFile.Unlink(folder, entry.Name);
        }
    }

    [GeneratedRegex(@"^(?<date>[0-9]{8})-(?<time>[0-9]{6})(?:-(?<seq>[1-9][0-9]{0,5}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Suffix();

    [GeneratedRegex(@"-[0-9]{8}-[0-9]{6}(?:-[1-9][0-9]{0,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex RotatedEnd();
}
