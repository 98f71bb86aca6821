using System.Text.RegularExpressions;
using CharWeb.Engine.Devices;
using static Tmds.Linux.LibC;

namespace CharWeb.Engine;

/// <summary>
/// Which host devices serial and parallel chardevs may open (<c>CharWeb:Devices:Allowed</c>, globs
/// where <c>*</c> and <c>?</c> stop at <c>/</c>). Both the path as given and the device it leads to
/// (a <c>/dev/serial/by-id</c> link, say) must match, and that device must be a character device:
/// a pty of someone's shell (<c>/dev/pts/N</c>) or a disk is never reachable by default.
/// </summary>
public sealed class DevicePolicy
{
    public static readonly IReadOnlyList<string> DefaultGlobs = ["/dev/ttyS*", "/dev/ttyUSB*", "/dev/ttyACM*", "/dev/serial/by-id/*", "/dev/parport*"];

    private readonly IReadOnlyList<(string Glob, Regex Pattern)> _globs;

    public DevicePolicy(IEnumerable<string> globs)
    {
        _globs = globs.Select(g => (g, new Regex("^" + Regex.Escape(g).Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$", RegexOptions.CultureInvariant))).ToList();
    }

    public static DevicePolicy Default { get; } = new(DefaultGlobs);

    public IReadOnlyList<string> Globs => _globs.Select(g => g.Glob).ToList();

    /// <summary>Configuration errors: each glob must be an absolute path.</summary>
    public static IEnumerable<string> Check(IReadOnlyList<string> globs) =>
        globs.Select((g, i) => (g, i)).Where(x => string.IsNullOrWhiteSpace(x.g) || !x.g.StartsWith('/') || x.g.Any(char.IsControl))
            .Select(x => $"CharWeb:Devices:Allowed:{x.i}: '{x.g}' must be an absolute path, e.g. /dev/ttyUSB*");

    /// <summary>A device option as a caller gave it: present, printable, then allowed (relative paths are under the data folder).</summary>
    public void Validate(string field, string? path, PathPolicy paths, string example, ICollection<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add(new FieldError(field, $"is required, e.g. {example}"));
        }
        else if (path.Any(char.IsControl))
        {
            errors.Add(new FieldError(field, "must not contain control characters"));
        }
        else
        {
            Validate(field, paths.FullPath(path), errors);
        }
    }

    /// <summary>Validation: the path as given must match an allowed glob; one that exists must lead to an allowed character device.</summary>
    public void Validate(string field, string fullPath, ICollection<FieldError> errors)
    {
        if (Refusal(fullPath) is { } reason)
        {
            errors.Add(new FieldError(field, reason));
        }
        else if (File.Exists(fullPath) && Target(fullPath) is var target && Refusal(target) is { } targetReason)
        {
            errors.Add(new FieldError(field, $"leads to {target}: {targetReason}"));
        }
    }

    /// <summary>Opens the device checked again now (it may have changed since validation); anything but an allowed character device is refused.</summary>
    internal DeviceFile Open(string field, string fullPath)
    {
        var errors = new List<FieldError>();
        Validate(field, fullPath, errors);
        if (errors.Count > 0)
        {
            throw ChardevException.Invalid(errors);
        }

        var target = Target(fullPath);
        var device = DeviceFile.Open(target, O_NOFOLLOW);
        try
        {
            var kind = ConfinedFile.Describe(new Microsoft.Win32.SafeHandles.SafeFileHandle(device.Fd, ownsHandle: false));
            return kind.IsCharDevice ? device : throw ChardevException.Invalid(field, $"{fullPath} is {kind.Kind}, not a character device");
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private string? Refusal(string path) =>
        _globs.Any(g => g.Pattern.IsMatch(path))
            ? null
            : $"'{path}' is not an allowed device (CharWeb:Devices:Allowed: {(_globs.Count == 0 ? "none" : string.Join(", ", _globs.Select(g => g.Glob)))})";

    private static string Target(string path) =>
        new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
}
